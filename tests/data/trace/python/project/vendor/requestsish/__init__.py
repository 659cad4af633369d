from . import api
from .compat import chardet
import certish
import charsetish
import sys
if sys.platform == "emscripten":
    from .wasm import inject
