from importlib.resources import files

def where():
    return str(files("certish") / "cacert.pem")
