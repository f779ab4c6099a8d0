"""The command line: check, export (byte-identical to HTTP), list, token,
--help and --version."""

import os
import subprocess
import unittest

from harness import BIN, SAMPLE_CONFIG, Daemon


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60)


class CliTest(unittest.TestCase):
    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("run", "check", "export", "list", "token", "--listen", "--state"):
            self.assertIn(word, r.stdout)
        r = run("--version")
        self.assertRegex(r.stdout, r"^agendad \d+\.\d+\.\d+")
        self.assertEqual(run("frobnicate", "--config", SAMPLE_CONFIG).returncode, 2)

    def test_check_accepts_the_sample_network(self):
        # With its agenda plugin, which `check` loads to check its settings.
        r = run("check", "--config", SAMPLE_CONFIG,
                "--plugin-dir", os.environ["AGENDAD_PLUGIN_BUILD_DIR"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"OK: 66 members, \d+ categories, \d+ events")
        self.assertEqual(r.stderr, "")

    def test_check_fails_on_a_plugin_the_daemon_would_leave_out(self):
        # The sample config's plugin directory is a package's, absent here:
        # the daemon would run without its agenda plugin.
        r = run("check", "--config", SAMPLE_CONFIG, "--plugin-dir", "/nonexistent")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stderr, r'agendad\.yaml:\d+:\d+: error: plugin "agenda" would be left '
                                   r'out: cannot load /nonexistent/agenda\.so: ')
        self.assertIn(": 1 error; the running daemon keeps its last good configuration", r.stderr)

    def test_check_reports_every_error_with_position(self):
        d = Daemon(plugin_dir=os.environ["AGENDAD_PLUGIN_BUILD_DIR"])
        try:
            d.write("events/bad.yaml",
                    "uid: bad\n"
                    "title: {fr: Mauvais}\n"
                    "start: 2027-01-10T10:00\n"
                    "end: 2027-01-10T09:00\n"
                    "host: nobody\n"
                    "colour: red\n")
            r = d.run_cli("check")
            self.assertEqual(r.returncode, 1)
            self.assertIn("bad.yaml:6:1:", r.stderr)   # unknown key
            self.assertIn("bad.yaml:5:7:", r.stderr)   # unknown member
            self.assertIn("bad.yaml:4:", r.stderr)     # end before start
        finally:
            d.cleanup()

    def test_check_reports_independent_errors_once(self):
        """Issue 15, 8f: a bad start hid the agenda's errors. Each error is
        reported once at its place, none that only follows from another
        (the item outside an event whose start is unknown), and the count
        says so."""
        d = Daemon(plugin_dir=os.environ["AGENDAD_PLUGIN_BUILD_DIR"])
        try:
            d.write("events/bad.yaml",
                    "uid: bad\n"
                    "title: {fr: Mauvais}\n"
                    "start: 2027-02-30T10:00\n"
                    "end: 2027-03-01T12:00\n"
                    "host: fes\n"
                    "categories: [participation]\n"
                    "agenda:\n"
                    "  - {start: \"25:00\", end: \"11:00\", title: {fr: A}}\n"
                    "  - {start: \"23:00\", end: \"23:30\", title: {fr: B}}\n")
            r = d.run_cli("check")
            self.assertEqual(r.returncode, 1, r.stderr)
            lines = r.stderr.splitlines()
            errors = [l for l in lines if ": error: " in l]
            self.assertEqual(len(errors), 3, r.stderr)
            self.assertTrue(any(l.endswith('bad.yaml:3:8: error: "2027-02-30T10:00" is not '
                                           'a real date') for l in errors), r.stderr)
            self.assertTrue(any(l.endswith('bad.yaml:6:14: error: unknown category '
                                           '"participation" (did you mean '
                                           '"citizen-participation"?)') for l in errors),
                            r.stderr)
            self.assertTrue(any(l.endswith('bad.yaml:8:13: error: "25:00" is not a real '
                                           'time of day') for l in errors), r.stderr)
            self.assertRegex(lines[-1], r": 3 errors; the running daemon keeps its last good "
                                        r"configuration$")
        finally:
            d.cleanup()

    def test_export_matches_http_bytes(self):
        with Daemon() as d:
            out = os.path.join(d.tmp, "export")
            r = d.run_cli("export", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            paths = ["feeds/network.ics", "feeds/members/fes.ics",
                     "feeds/categories/digitalisation.ics",
                     "events/2023-03-07-fes-meknes-cocreation-workshop.ics"]
            for rel in paths:
                with open(os.path.join(out, rel), "rb") as f:
                    exported = f.read()
                status, _, body = d.get("/" + rel)
                self.assertEqual(status, 200)
                self.assertEqual(exported, body, rel)
            self.assertEqual(len(os.listdir(os.path.join(out, "feeds/members"))), 66)

    def test_token_rotation(self):
        d = Daemon()
        try:
            first = d.run_cli("token", "fes", check=True).stdout
            second = d.run_cli("token", "fes", check=True).stdout
            self.assertNotEqual(first, second)
            self.assertIn("/feeds/members/fes.ics?token=", second)
            self.assertEqual(d.run_cli("token", "nobody").returncode, 1)
            d.start()
            old = first.strip().split("token=")[1]
            new = second.strip().split("token=")[1]
            self.assertEqual(d.get(f"/feeds/members/fes.ics?token={old}")[0], 403)
            self.assertEqual(d.get(f"/feeds/members/fes.ics?token={new}")[0], 200)
            d.run_cli("token", "fes", "--revoke", check=True)
            self.assertEqual(d.get(f"/feeds/members/fes.ics?token={new}")[0], 403)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
