from . import api
from .compat import chardet
import certish
import charsetish
