"""`agendad export` served by a real nginx with the README's snippet: the
responses parse, and their bytes, ETags and Last-Modified are the daemon's;
conditional requests with the daemon's ETags get 304 from nginx too."""

import http.client
import os
import shutil
import signal
import subprocess
import time
import unittest

from icalendar import Calendar

from harness import Daemon, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HERE = os.path.dirname(os.path.abspath(__file__))
PATHS = ["/feeds/network.ics", "/feeds/members/fes.ics", "/feeds/categories/digitalisation.ics",
         "/events/2023-03-07-fes-meknes-cocreation-workshop.ics"]


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class Nginx:
    def __init__(self, tmp, export):
        self.tmp = os.path.join(tmp, "nginx")
        os.makedirs(self.tmp)
        self.port = free_port()
        with open(os.path.join(HERE, "nginx_export.conf.in"), encoding="utf-8") as f:
            conf = f.read()
        conf = conf.replace("@TMP@", self.tmp).replace("@EXPORT@", export)
        self.conf = os.path.join(self.tmp, "nginx.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(conf.replace("@PORT@", str(self.port)))

    def start(self):
        t = subprocess.run([NGINX, "-c", self.conf, "-p", self.tmp, "-t"],
                           capture_output=True, text=True)
        if t.returncode != 0:
            raise RuntimeError("nginx -t: " + t.stderr)
        subprocess.run([NGINX, "-c", self.conf, "-p", self.tmp], check=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.pidfile()) and time.monotonic() < deadline:
            time.sleep(0.05)

    def pidfile(self):
        return os.path.join(self.tmp, "nginx.pid")

    def stop(self):
        try:
            with open(self.pidfile(), encoding="ascii") as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed (scripts/deps.sh --test)")
class ExportThroughNginxTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()
        self.addCleanup(self.d.cleanup)
        self.export = os.path.join(self.d.tmp, "www")
        r = self.d.run_cli("export", "--out", self.export)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.chmod(self.d.tmp, 0o755)  # nginx workers may run as another user
        self.nginx = Nginx(self.d.tmp, self.export)
        self.nginx.start()
        self.addCleanup(self.nginx.stop)

    def test_same_bytes_etag_and_last_modified(self):
        for path in PATHS:
            with self.subTest(path=path):
                st, h, body = get(self.nginx.port, path)
                dst, dh, dbody = self.d.get(path)
                self.assertEqual((st, dst), (200, 200))
                self.assertEqual(body, dbody)
                self.assertEqual(h["etag"], dh["etag"])
                self.assertEqual(h["last-modified"], dh["last-modified"])
                self.assertEqual(h["content-type"], dh["content-type"])
                cal = Calendar.from_ical(body)
                self.assertEqual(cal.name, "VCALENDAR")
                self.assertTrue(cal.walk("VEVENT"))

    def test_conditional_requests_like_the_daemon(self):
        path = PATHS[0]
        _, dh, _ = self.d.get(path)
        etag = dh["etag"]
        for inm in (etag, "W/" + etag, etag[:-1] + '-gz"'):
            with self.subTest(inm=inm):
                st, h, body = get(self.nginx.port, path, {"If-None-Match": inm})
                dst, _, _ = self.d.get(path, {"If-None-Match": inm})
                self.assertEqual((st, dst), (304, 304))
                self.assertEqual(body, b"")
                self.assertEqual(h["etag"], etag)
        st, _, _ = get(self.nginx.port, path, {"If-None-Match": '"0123456789abcdef"'})
        self.assertEqual(st, 200)
        # If-None-Match of another file's tag must not make this one fresh.
        _, other, _ = self.d.get(PATHS[1])
        st, _, _ = get(self.nginx.port, path, {"If-None-Match": other["etag"]})
        self.assertEqual(st, 200)
        st, _, _ = get(self.nginx.port, path, {"If-Modified-Since": dh["last-modified"]})
        self.assertEqual(st, 304)

    def test_every_exported_file_has_its_etag(self):
        with open(os.path.join(self.export, "etags.map"), encoding="ascii") as f:
            lines = [ln.split() for ln in f.read().splitlines()]
        mapped = {ln[0] for ln in lines}
        files = set()
        for root, _, names in os.walk(self.export):
            for n in names:
                if n.endswith(".ics"):
                    files.add("/" + os.path.relpath(os.path.join(root, n), self.export))
        self.assertEqual(mapped, files)
        for path, tag in lines[:10]:
            _, dh, _ = self.d.get(path)
            self.assertEqual(tag, "'%s';" % dh["etag"])


if __name__ == "__main__":
    unittest.main()
