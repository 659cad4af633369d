from .core import where
