from .. import api
