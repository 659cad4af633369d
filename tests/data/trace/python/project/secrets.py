TOKEN = "shadowing the standard library"
