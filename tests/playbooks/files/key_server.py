# SPDX-License-Identifier: MIT
"""Serves SSH public keys over HTTP and HTTPS for the authorized_key URL
golden (tests/playbooks/authorized_key_url.yml). It runs on the controller;
the bare test hosts share its network namespace and fetch from it. The
fixed-header handler of http_server.py answers.

Usage: python3 key_server.py ADDRESS HTTP_PORT HTTPS_PORT CERT KEY SECONDS READY
(it stops by itself; it writes the file READY once both ports listen). The
HTTPS side uses a self-signed certificate that no host trusts. Paths: /keys
(two keys, a comment and a blank line), /one, /third, /redirect (to /one),
anything else 404."""

import os
import ssl
import sys
import threading
from http.server import HTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_server import Handler  # noqa: E402

# Public halves of throwaway keys: nothing can log in with them.
K1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC6/rB1k2V6ivCXzAtvLvmrs9FyZ1+oV7EmC9QIVRTHf kiln-url-1"
K2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHhLhRlSwTBZ1wOhpw5EJayOjCHtNXfgnkFx9M3/zUV kiln-url-2"
K3 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGSLWKHlh7ThhWfxxbuZneupWfAwq6/Og2h8391XA6Bj kiln-url-3"

PAGES = {
    "/keys": f"# the team's keys\n{K1}\n\n{K2}\n",
    "/one": f"{K1}\n",
    "/third": f"{K3}\n",
}


class KeyHandler(Handler):
    def do_GET(self):
        if self.path == "/redirect":
            self.reply(302, b"", extra=[("Location", "/one")])
        elif self.path in PAGES:
            self.reply(200, PAGES[self.path].encode())
        else:
            self.reply(404, b"not found\n")


def main():
    addr, http_port, https_port, cert, key, secs, ready = sys.argv[1:8]
    plain = HTTPServer((addr, int(http_port)), KeyHandler)
    tls = HTTPServer((addr, int(https_port)), KeyHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    for server in (plain, tls):
        threading.Timer(float(secs), server.shutdown).start()
    threading.Thread(target=tls.serve_forever, daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    plain.serve_forever()


main()
