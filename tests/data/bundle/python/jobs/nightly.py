import requests_lite
import six_lite

def run(event, context):
    return {"ok": True, "lib": requests_lite.NAME}
