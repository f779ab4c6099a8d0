"""A plugin fetches over HTTP through the host's network client (plugin ABI
1.1) inside the real daemon, against a real HTTP peer on loopback; the
daemon keeps serving feeds while a slow fetch is in flight."""

import os
import subprocess
import tempfile
import threading
import unittest

from harness import SOURCE_DIR, Daemon

PEER = os.path.join(SOURCE_DIR, "tests", "peers", "http_peer.py")


class PluginNetTest(unittest.TestCase):
    def setUp(self):
        self.peer = subprocess.Popen(["/usr/bin/python3", PEER, "0"], stdout=subprocess.PIPE,
                                     text=True)
        self.peer_port = int(self.peer.stdout.readline())
        plugins = tempfile.mkdtemp(prefix="agendad-plugins-")
        os.symlink(os.path.join(os.environ["AGENDAD_TEST_PLUGIN_DIR"], "net_probe.so"),
                   os.path.join(plugins, "net_probe.so"))
        self.d = Daemon(plugin_dir=plugins)
        self.d.load_plugins("net_probe: {}")
        self.d.start()

    def tearDown(self):
        self.d.cleanup()
        self.peer.kill()
        self.peer.wait()

    def probe(self, path, extra=""):
        url = f"http://127.0.0.1:{self.peer_port}{path}"
        status, _, body = self.d.get(f"/plugins/net_probe?url={url}{extra}")
        self.assertEqual(status, 200, body)
        return body.decode()

    def test_fetch_through_the_host(self):
        out = self.probe("/feed.ics")
        self.assertTrue(out.startswith('ok 200 "feed-v1"\n'), out)
        self.assertIn("BEGIN:VCALENDAR", out)

    def test_cancel_runs_the_callback_once_cancelled(self):
        self.assertTrue(self.probe("/slow?ms=3000", "&cancel=1").startswith("cancelled"))

    def test_refused_connection_is_reported(self):
        out = self.probe_closed_port()
        self.assertTrue(out.startswith("failed 0"), out)

    def probe_closed_port(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        status, _, body = self.d.get(f"/plugins/net_probe?url=http://127.0.0.1:{port}/")
        self.assertEqual(status, 200)
        return body.decode()

    def test_feeds_are_served_during_a_slow_fetch(self):
        result = {}
        t = threading.Thread(target=lambda: result.update(out=self.probe("/slow?ms=4000")))
        t.start()
        for _ in range(20):
            status, _, _ = self.d.get("/feeds/network.ics")
            self.assertEqual(status, 200)
        self.assertTrue(t.is_alive(), "the feed requests did not wait for the fetch")
        t.join()
        self.assertTrue(result["out"].startswith("ok 200"))


if __name__ == "__main__":
    unittest.main()
