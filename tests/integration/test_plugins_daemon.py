"""Plugins in the real daemon: a good one serves its route, a wrong-ABI one,
a failing one and a missing one are refused while the daemon runs on."""

import os
import tempfile
import unittest

from harness import Daemon


def plugin_dir():
    d = tempfile.mkdtemp(prefix="agendad-plugins-")
    found = {
        "example": os.path.join(os.environ["AGENDAD_PLUGIN_BUILD_DIR"], "example.so"),
        "wrong_abi": os.path.join(os.environ["AGENDAD_TEST_PLUGIN_DIR"], "wrong_abi.so"),
        "failing_init": os.path.join(os.environ["AGENDAD_TEST_PLUGIN_DIR"], "failing_init.so"),
    }
    for name, path in found.items():
        os.symlink(path, os.path.join(d, name + ".so"))
    return d


class PluginDaemonTest(unittest.TestCase):
    def test_bad_plugins_are_left_out_and_the_daemon_serves(self):
        d = Daemon(plugin_dir=plugin_dir())
        # Whatever the sample loads (the agenda plugin), this test loads its own.
        d.load_plugins('wrong_abi: {}\nexample: {greeting: "Marhaba"}\n'
                       'failing_init: {}\nmissing_plugin: {}')
        with d:
            log = d.log_text()
            self.assertRegex(log, r"wrong_abi.*ABI")
            self.assertIn("failing_init", log)
            self.assertIn("missing_plugin", log)
            self.assertIn("1 of 4 plugins running", log)
            status, _, body = d.get("/plugins/example/hello")
            self.assertEqual(status, 200)
            self.assertTrue(body.decode().startswith("Marhaba"))
            status, _, _ = d.get("/feeds/network.ics")
            self.assertEqual(status, 200)
            d.reload("configuration loaded")
            self.assertEqual(d.get("/plugins/example/hello")[0], 200)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
