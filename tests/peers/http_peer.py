#!/usr/bin/env python3
"""HTTP peer for tests/unit/test_net.c.

Binds 127.0.0.1 on the port given as argv[1] (0: any free port), prints the
port it bound on stdout, then serves until killed:

  /feed.ics            body with ETag and Last-Modified; 304 on If-None-Match
  /redirect/N          302 to /redirect/N-1 with ETag and Last-Modified;
                       /redirect/0 answers 200 "landed" with another ETag
  /slow?ms=N           sleeps N ms, then 200 "slow"
  /huge?bytes=N&cl=0|1 N bytes of 'x', with Content-Length (cl=1) or delimited
                       by closing the connection (cl=0)
  /echo (any method)   JSON: method, path, headers, body (latin-1 text)
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ETAG = '"feed-v1"'
LAST_MODIFIED = "Tue, 07 Mar 2023 09:00:00 GMT"
FEED = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//peer//EN\r\n"
    "END:VCALENDAR\r\n"
).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if url.path == "/echo":
            return self.echo()
        if url.path == "/feed.ics":
            return self.feed()
        if parts[0] == "redirect" and len(parts) == 2:
            left = int(parts[1])
            if left == 0:
                return self.send_body(200, b"landed", extra=[("ETag", '"landed"')])
            self.send_response(302)
            self.send_header("Location", "/redirect/%d" % (left - 1))
            self.send_header("ETag", '"hop-%d"' % left)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if url.path == "/slow":
            time.sleep(int(query.get("ms", "2000")) / 1000)
            return self.send_body(200, b"slow")
        if url.path == "/huge":
            return self.huge(int(query.get("bytes", "1048576")), query.get("cl", "1") == "1")
        self.send_body(404, b"not found")

    def feed(self):
        headers = [("ETag", ETAG), ("Last-Modified", LAST_MODIFIED)]
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            for name, value in headers:
                self.send_header(name, value)
            return self.end_headers()
        self.send_body(200, FEED, "text/calendar; charset=utf-8", headers)

    def huge(self, size, with_length):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if with_length:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        chunk = b"x" * 65536
        try:
            while size > 0:
                self.wfile.write(chunk[: min(size, len(chunk))])
                size -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def echo(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        doc = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("latin-1"),
        }
        self.send_body(200, json.dumps(doc).encode(), "application/json")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = route
    do_REPORT = do_PROPFIND = do_PATCH = route


class Server(ThreadingHTTPServer):
    # 50 parallel connects overflow socketserver's default backlog of 5, and
    # the kernel then retries SYNs after 1 s, 3 s...
    request_queue_size = 128
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that time out or hit the size limit hang up on purpose.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def exit_with_parent():
    """A test that crashes cannot stop its peer: the peer then stops itself,
    rather than holding the test runner's output pipe open."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main():
    exit_with_parent()
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
