"""Handler docstring: import notreal"""
import os, sys
import json as j; from collections import OrderedDict
from . import helpers
import localpkg.sub.deep
from nspkg import tool
import requestsish
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from typed_only import Thing
import importlib
plugin = importlib.import_module('plugins.alpha')
def lazy(name):
    return importlib.import_module(name)
# import commented_out
s = "import in_string"
try:
    import fastjson
except ImportError:
    fastjson = None
from compiledpkg import core
import sidecar
import secrets
from starpkg import *

def handler(event, context):
    return {"ok": True}
