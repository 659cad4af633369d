def helper_fn():
    pass
