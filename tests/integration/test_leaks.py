"""Under AddressSanitizer only: the daemon runs with plugins through reloads
(one of which unloads a plugin), serves feeds, and shuts down on SIGTERM with
no leak (LeakSanitizer) and no UBSan report. In a normal build there is
nothing to check and the test is skipped."""

import os
import re
import signal
import subprocess
import unittest

from harness import BIN, Daemon
from test_plugins_daemon import plugin_dir

REPORTS = ("LeakSanitizer", "AddressSanitizer", "runtime error:")


def sanitized(binary):
    if os.environ.get("AGENDAD_ASAN") == "1":
        return True
    try:
        out = subprocess.run(["nm", binary], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "__asan_init" in out


@unittest.skipUnless(sanitized(BIN), "not an ASan build: LeakSanitizer is not linked in")
class LeakTest(unittest.TestCase):
    def assert_clean(self, d, code):
        log = d.log_text()
        for r in REPORTS:
            self.assertNotIn(r, log, log[-4000:])
        self.assertEqual(code, 0, log[-4000:])

    def test_shutdown_after_reloads_with_plugins_reports_no_leak(self):
        d = Daemon(plugin_dir=plugin_dir())
        self.addCleanup(d.cleanup)
        with_plugins = re.sub(r"(?m)^  load: \{\}$",
                              "  load:\n    example: {greeting: \"Marhaba\"}\n"
                              "    failing_init: {}\n    wrong_abi: {}\n", d.read("agendad.yaml"))
        d.write("agendad.yaml", with_plugins)
        # Detect leaks at exit; keep going on the first report so that the
        # log shows them all.
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        d.start()
        for i in range(3):
            self.assertEqual(d.get("/feeds/network.ics")[0], 200)
            self.assertEqual(d.get("/feeds/members/fes.ics?lang=fr&alarm=1d")[0], 200)
            self.assertEqual(d.get("/plugins/example/hello")[0], 200)
            d.reload("configuration loaded")
        # A broken config: the reload fails and the old one stays.
        d.write("events/broken.yaml", "- uid: [\n")
        d.reload("configuration not reloaded")
        os.unlink(d.path("events/broken.yaml"))
        # Without the plugins section the plugins are unloaded on reload (or,
        # where reload does not unload them, at shutdown).
        d.write("agendad.yaml", re.sub(r"(?ms)^  load:\n(    .*\n)+", "  load: {}\n", with_plugins))
        d.reload("configuration loaded")
        self.assertEqual(d.get("/feeds/network.ics")[0], 200)
        self.assert_clean(d, d.stop(signal.SIGTERM, timeout=60))

    def test_check_and_export_report_no_leak(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        for args in (("check",), ("export", "--out", os.path.join(d.tmp, "out")), ("list",)):
            r = d.run_cli(*args)
            out = r.stdout + r.stderr
            for rep in REPORTS:
                self.assertNotIn(rep, out, out[-4000:])
            self.assertEqual(r.returncode, 0, out[-4000:])


if __name__ == "__main__":
    unittest.main()
