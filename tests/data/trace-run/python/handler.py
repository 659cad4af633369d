"""Runs from an unpacked bundle with nothing but the bundle on sys.path."""
import dateutil.parser
import requests
import yaml


def handler(event, context):
    req = requests.Request("GET", "https://example.com/items", params={"q": "ferry"}).prepare()
    # requests finds its CA bundle through certifi: a data file
    ca = requests.utils.DEFAULT_CA_BUNDLE_PATH
    with open(ca, "rb") as f:
        pem = f.read(27)
    doc = yaml.load("a: 1\nb: [x, y]\n", Loader=yaml.CSafeLoader)
    when = dateutil.parser.isoparse("2026-11-27T13:37:00+01:00")
    return {
        "url": req.url,
        "ca": ca,
        "pem": pem.decode(),
        "yaml": doc,
        "utc_hour": when.utctimetuple().tm_hour,
        "json_encoding": requests.utils.guess_json_utf(b'{"a": 1}'),
        "charset": requests.compat.chardet.__name__,
        "detected": requests.compat.chardet.detect("héllo wörld, ça va".encode("utf-8"))["encoding"],
    }
