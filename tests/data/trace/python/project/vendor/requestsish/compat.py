import importlib
try:
    import chardet
except ImportError:
    chardet = None
try:
    from .tests import data_helpers
except ImportError:
    data_helpers = None

def plugin(name):
    return importlib.import_module(name)
