def mess(b):
    return 0
