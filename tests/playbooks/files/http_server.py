# SPDX-License-Identifier: MIT
"""A small HTTP server for the uri and get_url tests: fixed headers (no
real date, a fixed server name) so results compare between runs.

Usage: python3 http_server.py ADDRESS PORT SECONDS (it stops by itself).
Paths: /text, /json, /echo (POST/PUT: the body, method and content type as
JSON), /status/N, /auth (basic auth user:secret), /redirect (to /text),
/file.txt, /file.sha256 (checksum file for /file.txt)."""

import base64
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

FILE = b"downloaded content\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def version_string(self):
        return "kiln-test"

    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/text":
            self.reply(200, b"hello world\n")
        elif p == "/json":
            self.reply(200, b'{"a": 1, "b": [true, null]}', "application/json")
        elif p.startswith("/status/"):
            self.reply(int(p.split("/")[2]), b"status page\n")
        elif p == "/auth":
            want = "Basic " + base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") == want:
                self.reply(200, b"welcome\n")
            else:
                self.reply(401, b"no\n", extra=[("WWW-Authenticate", 'Basic realm="t"')])
        elif p == "/redirect":
            self.reply(302, b"", extra=[("Location", "/text")])
        elif p == "/file.txt":
            self.reply(200, FILE, extra=[("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")])
        elif p == "/file.sha256":
            line = hashlib.sha256(FILE).hexdigest() + "  file.txt\n"
            self.reply(200, line.encode())
        elif p == "/headers":
            got = {"x-test": self.headers.get("X-Test")}
            self.reply(200, json.dumps(got).encode(), "application/json")
        else:
            self.reply(404, b"not found\n")

    do_HEAD = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        out = {"method": self.command, "type": self.headers.get("Content-Type"), "body": body}
        self.reply(200, json.dumps(out, sort_keys=True).encode(), "application/json")

    do_PUT = do_POST


def main():
    server = HTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
    threading.Timer(float(sys.argv[3]), server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
