"""Reloads and restarts lose nothing:
- 20 reloads (SIGHUP and config edits) while keep-alive clients fetch feeds:
  zero failed requests, zero connection resets;
- socket activation through systemd-socket-activate (the systemd tool that
  passes a listening socket as PID 1 would): restarting the daemon while
  clients keep connecting loses no connection, since the socket and its
  backlog outlive each daemon process.
No pass/fail depends on speed: the tests count outcomes, never time them."""

import http.client
import os
import shutil
import signal
import subprocess
import threading
import time
import unittest

from harness import BIN, Daemon, free_port

FEEDS = ["/feeds/network.ics", "/feeds/members/fes.ics", "/feeds/categories/digitalisation.ics",
         "/events/2023-03-07-fes-meknes-cocreation-workshop.ics"]
ACTIVATE = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"


class Load:
    """Client threads fetching feeds until stopped; every failure is kept."""

    def __init__(self, port, threads=4, keep_alive=True):
        self.port = port
        self.keep_alive = keep_alive
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failures = []
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(60)

    def wait_for_requests(self, n):
        deadline = time.monotonic() + 60
        while self.ok < n and time.monotonic() < deadline and not self.failures:
            time.sleep(0.02)

    def run(self, i):
        conn = None
        n = 0
        etags = {}
        while not self.stop_flag.is_set():
            path = FEEDS[(i + n) % len(FEEDS)]
            n += 1
            headers = {}
            if n % 3 == 0 and path in etags:
                headers["If-None-Match"] = etags[path]
            if not self.keep_alive:
                headers["Connection"] = "close"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                body = r.read()
                if r.status not in (200, 304) or (r.status == 200 and
                                                   not body.rstrip().endswith(b"END:VCALENDAR")):
                    raise AssertionError(f"{path}: {r.status} {body[:200]!r}")
                etags[path] = r.getheader("ETag")
                if not self.keep_alive or r.will_close:
                    conn.close()
                    conn = None
                with self.lock:
                    self.ok += 1
            except Exception as e:  # every failure counts, resets included
                with self.lock:
                    self.failures.append(f"{path}: {type(e).__name__}: {e}")
                if conn:
                    conn.close()
                conn = None
        if conn:
            conn.close()


class ReloadUnderLoadTest(unittest.TestCase):
    def test_twenty_reloads_lose_no_request(self):
        with Daemon() as d:
            event = "events/2023-03-07-fes-meknes-cocreation-workshop.yaml"
            original = d.read(event)
            with Load(d.port) as load:
                load.wait_for_requests(20)
                for i in range(20):
                    if i % 2 == 0:
                        d.reload()
                    else:
                        before = len(d.log_text())
                        d.write(event, original.replace('Région Fès-Meknès"', f'Région Fès-Meknès {i}"', 1))
                        d.wait_log("configuration loaded (config directory changed)", start=before)
                    seen = load.ok
                    load.wait_for_requests(seen + 8)
            self.assertEqual(load.failures, [])
            self.assertGreater(load.ok, 20 * 8)
            self.assertEqual(d.log_text().count("configuration loaded ("), 20)
            status, _, body = d.get(FEEDS[3] + "?lang=fr")
            self.assertEqual(status, 200)
            self.assertTrue("Fès-Meknès 19".encode() in body.replace(b"\r\n ", b""))


@unittest.skipUnless(os.path.exists(ACTIVATE), "systemd-socket-activate is missing")
class SocketActivationTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.port = free_port()
        self.stopfile = os.path.join(self.d.tmp, "stop")
        # The loop stands in for systemd's Restart=: each daemon gets the
        # socket as fd 3 and LISTEN_PID set to its own pid.
        supervisor = ('while [ ! -e "$0" ]; do '
                      'sh -c \'LISTEN_PID=$$ exec "$@"\' agendad "$@"; done')
        args = [a for a in self.d.args("run") if not a.startswith("127.0.0.1:")]
        args.remove("--listen")
        self.log = open(self.d.log_path, "ab")
        self.sup = subprocess.Popen(
            [ACTIVATE, "-l", f"127.0.0.1:{self.port}", "sh", "-c", supervisor, self.stopfile,
             *args], stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(self.shutdown)
        self.d.wait_log(f"Listening on 127.0.0.1:{self.port}")

    def shutdown(self):
        open(self.stopfile, "w").close()
        pid = self.daemon_pid(wait=False)
        if pid:
            os.kill(pid, signal.SIGTERM)
        try:
            self.sup.wait(30)
        except subprocess.TimeoutExpired:
            self.sup.kill()
            self.sup.wait()
        self.log.close()

    def daemon_pid(self, wait=True, not_pid=None):
        deadline = time.monotonic() + 30
        while True:
            try:
                with open(f"/proc/{self.sup.pid}/task/{self.sup.pid}/children") as f:
                    kids = [int(p) for p in f.read().split()]
            except OSError:
                kids = []
            for k in kids:
                try:
                    with open(f"/proc/{k}/cmdline", "rb") as f:
                        is_daemon = f.read().split(b"\0")[0] == BIN.encode()
                except OSError:
                    is_daemon = False
                if is_daemon and k != not_pid:
                    return k
            if not wait or time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def test_serves_the_passed_socket(self):
        # The first connection starts the daemon; it waits in the backlog.
        status, body = self.get("/feeds/network.ics")
        self.assertEqual(status, 200)
        self.assertIn("serving on the socket passed by systemd", self.d.log_text())
        self.assertTrue(body.rstrip().endswith(b"END:VCALENDAR"))

    def test_restarts_lose_no_connection(self):
        self.assertEqual(self.get("/healthz")[0], 200)
        with Load(self.port, threads=3, keep_alive=False) as load:
            load.wait_for_requests(10)
            pid = self.daemon_pid()
            for _ in range(3):
                os.kill(pid, signal.SIGTERM)
                pid = self.daemon_pid(not_pid=pid)
                self.assertIsNotNone(pid, self.d.log_text())
                seen = load.ok
                load.wait_for_requests(seen + 10)
        self.assertEqual(load.failures, [], self.d.log_text()[-3000:])
        self.assertGreaterEqual(self.d.log_text().count("SIGTERM received"), 3)
        self.assertGreaterEqual(self.d.log_text().count("serving on the socket passed"), 4)


if __name__ == "__main__":
    unittest.main()
