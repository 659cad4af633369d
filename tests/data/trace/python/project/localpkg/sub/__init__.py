from .deep import y
