"""Where the sync plugin finds its parser, agendad-ical-import, when no
`helper:` key names it: beside sync.so, as in a build tree (scripts/start.sh
runs the daemon with --plugin-dir build/plugins and no such key), else where
the installed layout puts it; a `helper:` key still wins."""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import BIN, Daemon
from test_sync import Peer, calendar, vevent, year

BUILD_DIR = os.environ["AGENDAD_BUILD_DIR"]
PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
feeds:
  window_from: "-30d"
  window_to: "+800d"
categories:
  - id: digitalisation
    name: {fr: "Digitalisation"}
plugins:
  directory: %(plugins)s
  load:
    sync:%(settings)s
"""

MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    feed_url: %(base)s/fes-meknes.ics
    sync:
      interval: 1h
      network: true
"""


class InstalledDaemon(Daemon):
    def __init__(self, bin_, **kw):
        super().__init__(**kw)
        self.bin = bin_

    def args(self, command, *more):
        return [self.bin] + super().args(command, *more)[1:]


class HelperTest(unittest.TestCase):
    def setUp(self):
        self.peer = Peer()
        y = year()
        self.peer.write("fes-meknes.ics", calendar(
            vevent("atelier@fes.example", "Atelier", f":{y}0310T093000Z", f":{y}0310T123000Z")))
        self.cfg = tempfile.mkdtemp(prefix="agendad-helper-cfg-")
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.cleanup()
        self.peer.stop()
        shutil.rmtree(self.cfg, ignore_errors=True)

    def start(self, plugins, settings=" {}", daemon=Daemon, **kw):
        with open(os.path.join(self.cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"plugins": plugins, "settings": settings})
        with open(os.path.join(self.cfg, "members.yaml"), "w") as f:
            f.write(MEMBERS_YAML % {"base": self.peer.base})
        self.daemon = daemon(config_src=self.cfg, **kw)
        self.daemon.start()

    def pulled(self):
        """The member's status once its first pull has ended."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            code, _, body = self.daemon.get("/plugins/sync/status")
            self.assertEqual(code, 200)
            st = json.loads(body)["members"][0]
            if st["last_attempt"] and not st["busy"]:
                return st
            time.sleep(0.1)
        self.fail("no pull ended:\n" + self.daemon.log_text())

    def test_found_beside_sync_so_in_the_build_tree(self):
        self.start(PLUGIN_BUILD_DIR)
        st = self.pulled()
        self.assertIsNone(st["last_error"], self.daemon.log_text())
        self.assertEqual(st["events"], 1)
        helper = os.path.join(PLUGIN_BUILD_DIR, "agendad-ical-import")
        self.assertIn(f"(calendar parser: {helper})", self.daemon.log_text())
        self.assertIn("Atelier", self.daemon.get("/feeds/members/fes-meknes.ics")[2].decode())

    def test_a_helper_key_still_wins(self):
        missing = os.path.join(self.cfg, "no-such-parser")
        self.start(PLUGIN_BUILD_DIR, f"\n      helper: {missing}")
        st = self.pulled()
        self.assertEqual(st["events"], 0)
        self.assertIn(f"cannot start the calendar parser {missing}", st["last_error"])

    def test_found_in_an_installed_tree(self):
        """`cmake --install --prefix DIR`: sync.so under lib/agendad/plugins,
        the helper under libexec/agendad, neither where the build's
        CMAKE_INSTALL_PREFIX would put them."""
        prefix = tempfile.mkdtemp(prefix="agendad-helper-install-")
        self.addCleanup(shutil.rmtree, prefix, ignore_errors=True)
        r = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [sync_so] = glob.glob(os.path.join(prefix, "lib*", "agendad", "plugins", "sync.so"))
        helper = os.path.join(prefix, "libexec", "agendad", "agendad-ical-import")
        self.assertTrue(os.access(helper, os.X_OK), helper)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(sync_so),
                                                     "agendad-ical-import")))
        self.start(os.path.dirname(sync_so), daemon=InstalledDaemon,
                   bin_=os.path.join(prefix, "bin", os.path.basename(BIN)))
        st = self.pulled()
        self.assertIsNone(st["last_error"], self.daemon.log_text())
        self.assertEqual(st["events"], 1)
        self.assertIn("(calendar parser: ", self.daemon.log_text())
        self.assertIn("agendad-ical-import)", self.daemon.log_text())


if __name__ == "__main__":
    unittest.main()
