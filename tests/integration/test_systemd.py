"""What systemd sees of the daemon, without systemd as PID 1: sd_notify
messages (READY, RELOADING with MONOTONIC_USEC, STOPPING, STATUS, WATCHDOG
at half of WATCHDOG_USEC) on a NOTIFY_SOCKET the test binds, priority
prefixes when JOURNAL_STREAM names stderr, and a clean exit 0 on SIGTERM
while a slow client is mid-response."""

import os
import signal
import socket
import time
import unittest

from harness import Daemon


class NotifySocket:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.messages = []

    def drain(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return

    def wait_for(self, needle, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            for m in self.messages:
                if needle in m:
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no {needle!r} among {self.messages!r}")

    def count(self, needle):
        self.drain()
        return sum(needle in m for m in self.messages)

    def close(self):
        self.sock.close()


class NotifyTest(unittest.TestCase):
    def test_ready_watchdog_reloading_stopping(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        ns = NotifySocket(os.path.join(d.tmp, "notify"))
        self.addCleanup(ns.close)
        d.env = {"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "200000"}
        d.start()
        ready = ns.wait_for("READY=1")
        self.assertIn("STATUS=serving", ready)
        # Pings every 100 ms: wait for several rather than timing them.
        deadline = time.monotonic() + 20
        while ns.count("WATCHDOG=1") < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(ns.count("WATCHDOG=1"), 3)
        d.reload()
        reloading = ns.wait_for("RELOADING=1")
        usec = int(reloading.split("MONOTONIC_USEC=")[1].split()[0])
        self.assertGreater(usec, 0)
        self.assertLessEqual(usec, time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(d.proc.wait(20), 0)
        self.assertIn("STATUS=stopping", ns.wait_for("STOPPING=1"))

    def test_without_watchdog_no_pings(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        ns = NotifySocket(os.path.join(d.tmp, "notify"))
        self.addCleanup(ns.close)
        d.env = {"NOTIFY_SOCKET": ns.path}
        d.start()
        ns.wait_for("READY=1")
        self.assertEqual(d.get("/healthz")[0], 200)
        self.assertEqual(ns.count("WATCHDOG=1"), 0)


class JournalTest(unittest.TestCase):
    def run_with_journal_stream(self, value_for):
        d = Daemon()
        self.addCleanup(d.cleanup)
        st = os.stat(d.log_path) if os.path.exists(d.log_path) else None
        if st is None:
            open(d.log_path, "wb").close()
            st = os.stat(d.log_path)
        d.env = {"JOURNAL_STREAM": value_for(st)}
        d.start()
        d.stop()
        return d.log_text()

    def test_priority_prefixes_when_stderr_is_the_journal(self):
        text = self.run_with_journal_stream(lambda st: f"{st.st_dev}:{st.st_ino}")
        lines = [ln for ln in text.splitlines() if ln]
        self.assertTrue(lines)
        for ln in lines:
            self.assertRegex(ln, r"^<[3-7]>")
        self.assertTrue(any(ln.startswith("<5>") and "serving on" in ln for ln in lines))

    def test_plain_lines_when_journal_stream_is_someone_elses(self):
        text = self.run_with_journal_stream(lambda st: f"{st.st_dev}:{st.st_ino + 1}")
        for ln in filter(None, text.splitlines()):
            self.assertRegex(ln, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ agendad \w+: ")


class StopTest(unittest.TestCase):
    def test_sigterm_finishes_a_slow_response_and_exits_0(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        d.start()
        # A client that asks for a feed and reads slowly, so that the
        # response is still being written when SIGTERM arrives.
        s = socket.create_connection(("127.0.0.1", d.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /feeds/network.ics HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(100)
        self.assertTrue(first.startswith(b"HTTP/1.1 200"))
        d.proc.send_signal(signal.SIGTERM)
        d.wait_log("SIGTERM received")
        # New connections are refused once it stopped accepting.
        deadline = time.monotonic() + 10
        refused = False
        while time.monotonic() < deadline and not refused:
            try:
                socket.create_connection(("127.0.0.1", d.port), timeout=1).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        self.assertTrue(refused)
        data = first
        while True:
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
            time.sleep(0.001)
        s.close()
        head, body = data.split(b"\r\n\r\n", 1)
        length = int([ln.split(b":")[1] for ln in head.split(b"\r\n")
                      if ln.lower().startswith(b"content-length:")][0])
        self.assertEqual(len(body), length)
        self.assertTrue(body.rstrip().endswith(b"END:VCALENDAR"))
        self.assertEqual(d.proc.wait(20), 0)
        self.assertIn("stopped", d.log_text())
        # The store was closed cleanly: no journal or WAL left behind.
        for suffix in ("-journal", "-wal"):
            path = d.state + suffix
            self.assertFalse(os.path.exists(path) and os.path.getsize(path) > 0, path)


if __name__ == "__main__":
    unittest.main()
