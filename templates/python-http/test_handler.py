"""Run with: python3 -m unittest  (standard library only)."""
import json
import unittest

from handler import handler


def request(method, path, query=None, body=None):
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "&".join("%s=%s" % kv for kv in (query or {}).items()),
        "headers": {"content-type": "application/json"},
        "queryStringParameters": query or {},
        "pathParameters": {},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"http": {"method": method, "path": path}},
    }


class HandlerTest(unittest.TestCase):
    def test_get_greets_the_world(self):
        res = handler(request("GET", "/hello"), None)
        self.assertEqual(res["statusCode"], 200)
        self.assertEqual(res["headers"]["content-type"], "application/json")
        self.assertEqual(json.loads(res["body"]),
                         {"message": "{{greeting}}, world", "method": "GET", "path": "/hello"})

    def test_get_greets_by_name(self):
        res = handler(request("GET", "/hello", query={"name": "ada"}), None)
        self.assertEqual(json.loads(res["body"])["message"], "{{greeting}}, ada")

    def test_post_reads_a_json_body(self):
        res = handler(request("POST", "/hello", body={"name": "bob"}), None)
        self.assertEqual(res["statusCode"], 200)
        self.assertEqual(json.loads(res["body"])["message"], "{{greeting}}, bob")

    def test_post_with_a_body_that_is_not_json_is_a_400(self):
        ev = request("POST", "/hello")
        ev["body"] = "not json"
        self.assertEqual(handler(ev, None)["statusCode"], 400)


if __name__ == "__main__":
    unittest.main()
