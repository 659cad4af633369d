def inject():
    pass
