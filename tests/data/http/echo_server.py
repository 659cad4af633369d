#!/usr/bin/env python3
"""Echo server for tests/unit/test_http.c.

Listens on 127.0.0.1 on a free port and prints the port on stdout. Every
request is answered with its request line, its headers exactly as received
(one "Name: value" a line), an empty line and its body. Paths:
  /status/N  answer with status N
  /sleep/MS  wait MS milliseconds before answering
Response headers: X-Client-Port (the client's port, to see connection
reuse) and X-Echo-Mixed-Case.
"""
import http.server
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        parts = self.path.split("?")[0].split("/")
        status = 200
        if len(parts) > 2 and parts[1] == "status":
            status = int(parts[2])
        if len(parts) > 2 and parts[1] == "sleep":
            time.sleep(int(parts[2]) / 1000)
        out = (self.command + " " + self.path + "\n").encode()
        for k, v in self.headers.items():
            out += ("%s: %s\n" % (k, v)).encode()
        out += b"\n" + body
        if status in (204, 304):
            out = b""
        try:
            self.send_response(status)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(out)))
            self.send_header("X-Client-Port", str(self.client_address[1]))
            self.send_header("X-Echo-Mixed-Case", "yes")
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
    srv = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
