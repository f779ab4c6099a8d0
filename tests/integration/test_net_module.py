"""The network client is a module (agendad-net.so) loaded at the first
transfer: an instance whose plugins never fetch or send maps neither it nor
libcurl; the first fetch loads it; a daemon whose module is missing says
where it looked and keeps serving."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import SOURCE_DIR, Daemon

PEER = os.path.join(SOURCE_DIR, "tests", "peers", "http_peer.py")
PLUGIN_BUILD_DIR = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR", "")


def mapped(pid):
    """Basenames of the files mapped by pid."""
    with open(f"/proc/{pid}/maps") as f:
        return {os.path.basename(line.split()[5]) for line in f if len(line.split()) > 5}


def curl_mapped(pid):
    return any(name.startswith("libcurl") for name in mapped(pid))


def net_probe_dir():
    d = tempfile.mkdtemp(prefix="agendad-plugins-")
    os.symlink(os.path.join(os.environ["AGENDAD_TEST_PLUGIN_DIR"], "net_probe.so"),
               os.path.join(d, "net_probe.so"))
    return d


class BinDaemon(Daemon):
    """A Daemon run from another copy of the executable."""

    def __init__(self, bin_, **kw):
        super().__init__(**kw)
        self.bin = bin_

    def args(self, command, *more):
        return [self.bin] + super().args(command, *more)[1:]


class NetModuleTest(unittest.TestCase):
    def setUp(self):
        self.peer = subprocess.Popen(["/usr/bin/python3", PEER, "0"], stdout=subprocess.PIPE,
                                     text=True)
        self.peer_port = int(self.peer.stdout.readline())
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        self.peer.kill()
        self.peer.wait()
        self.peer.stdout.close()

    def start(self, d, plugins=None):
        self.daemons.append(d)
        if plugins:
            d.load_plugins(plugins)
        return d.start()

    def fetch(self, d):
        return d.get(f"/plugins/net_probe?url=http://127.0.0.1:{self.peer_port}/feed.ics")

    @unittest.skipUnless(PLUGIN_BUILD_DIR, "AGENDAD_PLUGIN_BUILD_DIR is not set")
    def test_sample_network_maps_no_network_client(self):
        d = self.start(Daemon(plugin_dir=PLUGIN_BUILD_DIR))
        status, _, _ = d.get("/feeds/network.ics")
        self.assertEqual(status, 200)
        self.assertIn("agenda.so", mapped(d.proc.pid))
        self.assertFalse(curl_mapped(d.proc.pid))
        self.assertNotIn("agendad-net.so", mapped(d.proc.pid))

    def test_first_fetch_loads_the_module(self):
        d = self.start(Daemon(plugin_dir=net_probe_dir()), "net_probe: {}")
        self.assertFalse(curl_mapped(d.proc.pid), "libcurl mapped before any transfer")
        status, _, body = self.fetch(d)
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith(b'ok 200 "feed-v1"'), body)
        self.assertTrue(curl_mapped(d.proc.pid))
        self.assertIn("agendad-net.so", mapped(d.proc.pid))
        self.assertIn("network module loaded from", d.log_text())
        status, _, body = self.fetch(d)  # once loaded, reused
        self.assertEqual(status, 200, body)
        self.assertEqual(d.log_text().count("network module loaded"), 1)

    def test_missing_module_names_where_it_looked(self):
        bindir = tempfile.mkdtemp(prefix="agendad-bin-")
        self.addCleanup(shutil.rmtree, bindir, True)
        bin_ = os.path.join(bindir, "agendad")
        shutil.copy(harness.BIN, bin_)
        d = self.start(BinDaemon(bin_, plugin_dir=net_probe_dir()), "net_probe: {}")
        for _ in range(2):
            status, _, body = self.fetch(d)
            self.assertEqual(status, 502, body)
        log = d.log_text()
        self.assertIn("network module not found", log)
        self.assertIn(os.path.join(bindir, "agendad-net.so"), log)
        self.assertIn(os.path.join(bindir, ".."), log)
        self.assertEqual(log.count("network module not found"), 1)
        status, _, _ = d.get("/feeds/network.ics")
        self.assertEqual(status, 200)
        self.assertFalse(curl_mapped(d.proc.pid))


if __name__ == "__main__":
    unittest.main()
