#!/usr/bin/env python3
"""Members' calendar server for the sync tests.

Binds 127.0.0.1 on the port given as argv[1] (0: any free port), serves the
files of the directory argv[2] (which the test rewrites between pulls),
prints the port on stdout, then serves until killed or until its parent
dies:

  /NAME.ics            the file, with a strong ETag (hash of its bytes) and
                       Last-Modified (its mtime); 304 on a matching
                       If-None-Match or If-Modified-Since
  /slow/NAME.ics?ms=N  sleeps N ms first
  /huge.ics?mb=N       N MiB: a VCALENDAR head then filler comment-free text
  /moved/NAME.ics      302 to /NAME.ics
  /_stats              JSON: per path, how many 200 and 304 answers; under
                       "_in_flight", "max": the most feed requests that were
                       being answered at once
"""
import email.utils
import hashlib
import json
import os
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOT = sys.argv[2] if len(sys.argv) > 2 else "."
STATS = defaultdict(lambda: defaultdict(int))
LOCK = threading.Lock()
IN_FLIGHT = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def count(self, path, status):
        with LOCK:
            STATS[path][str(status)] += 1

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_stats":
            return self.answer()
        global IN_FLIGHT
        with LOCK:
            IN_FLIGHT += 1
            STATS["_in_flight"]["max"] = max(STATS["_in_flight"]["max"], IN_FLIGHT)
        try:
            self.answer()
        finally:
            with LOCK:
                IN_FLIGHT -= 1

    def answer(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/_stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            return self.send(200, body, [("Content-Type", "application/json")])
        if path == "/huge.ics":
            return self.huge(int(q.get("mb", "50")))
        if path.startswith("/moved/"):
            return self.send(302, b"", [("Location", path[len("/moved"):])])
        if path.startswith("/slow/"):
            time.sleep(int(q.get("ms", "5000")) / 1000)
            path = path[len("/slow"):]
        self.serve_file(path)

    def serve_file(self, path):
        name = os.path.basename(path)
        try:
            with open(os.path.join(ROOT, name), "rb") as f:
                body = f.read()
            mtime = os.path.getmtime(os.path.join(ROOT, name))
        except OSError:
            self.count(path, 404)
            return self.send(404, b"no such feed")
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
        lm = email.utils.formatdate(mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.count(path, 304)
            return self.send(304, b"", [("ETag", etag)])
        self.count(path, 200)
        self.send(200, body, [("Content-Type", "text/calendar; charset=utf-8"), ("ETag", etag),
                              ("Last-Modified", lm)])

    def huge(self, mb):
        head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//huge//EN\r\n"
        line = b"X-FILLER:" + b"x" * 60 + b"\r\n"
        total = mb << 20
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        try:
            self.wfile.write(head)
            sent = len(head)
            while sent + len(line) <= total:
                self.wfile.write(line)
                sent += len(line)
            self.wfile.write(b"x" * (total - sent))
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # 5 by default: the 6th simultaneous connect waited 1 s

    def handle_error(self, request, client_address):
        pass  # clients (agendad stopping, a size limit) hang up mid-answer


def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=watch_parent, daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
