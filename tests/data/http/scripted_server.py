#!/usr/bin/env python3
"""Scripted HTTP server for tests/unit/test_aws_request.c.

    scripted_server.py SCRIPT LOG

Listens on 127.0.0.1 on a free port and prints the port on stdout. SCRIPT
is a JSON list of responses, given inline ("[...]") or as the path of a
file holding it; each is an object
    {"status": 503, "headers": {"Name": "value"}, "body": "text",
     "repeat": 1}
all fields optional (status 200, no headers, empty body, used once;
"repeat": -1 uses it for every request from then on). Each request is
answered with the next response of the script; once the script is used
up, with 418 and the body "scripted_server: script exhausted", which no
client retries.

Before answering, each request is appended to LOG as one line of JSON:
{"method", "path", "query", "headers": [[name, value], ...], "body_len"},
so a client that got its answer finds its request recorded.

"POST /__script__" with a JSON script as its body is not recorded nor
answered from the script: it replaces the script and empties LOG (answer
204), so that one server serves many tests.
"""
import http.server
import json
import os
import sys
import threading


class Script:
    def __init__(self, steps, log):
        self.steps = [dict(s) for s in steps]
        self.log = log
        self.lock = threading.Lock()

    def replace(self, steps):
        with self.lock:
            self.steps = [dict(s) for s in steps]
            open(self.log, "w").close()

    def next(self, record):
        with self.lock:
            with open(self.log, "a") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
            while self.steps:
                step = self.steps[0]
                repeat = step.get("repeat", 1)
                if repeat < 0:
                    return step
                if repeat > 0:
                    step["repeat"] = repeat - 1
                    return step
                self.steps.pop(0)
            return {"status": 418,
                    "body": "scripted_server: script exhausted"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path, _, query = self.path.partition("?")
        if self.command == "POST" and path == "/__script__":
            self.server.script.replace(json.loads(body))
            self.send_response(204)
            self.end_headers()
            return
        step = self.server.script.next({
            "method": self.command,
            "path": path,
            "query": query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_len": len(body),
        })
        out = step.get("body", "").encode()
        try:
            self.send_response(step.get("status", 200))
            for k, v in step.get("headers", {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)
        except OSError:
            pass

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = answer


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: scripted_server.py SCRIPT LOG")
    text = sys.argv[1]
    if not text.lstrip().startswith("[") and os.path.exists(text):
        with open(text) as f:
            text = f.read()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.script = Script(json.loads(text), sys.argv[2])
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
