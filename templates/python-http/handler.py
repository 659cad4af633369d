"""An HTTP handler in ferry's portable shape.

The event is an HTTP API 2.0 payload (rawPath, rawQueryString, headers,
queryStringParameters, body, isBase64Encoded, requestContext.http.method);
the result is {statusCode, headers, body}. The same file runs on every
provider.
"""
import base64
import json

GREETING = "{{greeting}}"


def _body(event):
    raw = event.get("body")
    if not raw:
        return {}
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _json(status, value):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(value),
    }


def handler(event, context):
    event = event or {}
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "GET")
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    if method == "POST":
        body = _body(event)
        if body is None:
            return _json(400, {"error": "the body is not JSON"})
        name = str(body.get("name", name))
    return _json(200, {
        "message": "%s, %s" % (GREETING, name),
        "method": method,
        "path": event.get("rawPath", "/"),
    })
