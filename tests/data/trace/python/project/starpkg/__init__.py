from .helpers import helper_fn

__all__ = ["alpha", "helper_fn"]
