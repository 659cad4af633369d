import importlib
try:
    import chardet
except ImportError:
    chardet = None

def plugin(name):
    return importlib.import_module(name)
