from .md import mess

def detect(b):
    return mess(b)
