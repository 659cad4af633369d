from .api import detect
