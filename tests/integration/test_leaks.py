"""Under AddressSanitizer only: the daemon runs with plugins through reloads
(one of which unloads a plugin), serves feeds, and shuts down on SIGTERM with
no leak (LeakSanitizer) and no UBSan report. In a normal build there is
nothing to check and the test is skipped."""

import os
import signal
import subprocess
import tempfile
import unittest

from harness import BIN, Daemon

REPORTS = ("LeakSanitizer", "AddressSanitizer", "runtime error:")


def sanitized(binary):
    if os.environ.get("AGENDAD_ASAN") == "1":
        return True
    try:
        out = subprocess.run(["nm", binary], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "__asan_init" in out


def plugin_dir():
    """Every plugin of the build (the real ones) and two that fail to load."""
    d = tempfile.mkdtemp(prefix="agendad-plugins-")
    build = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
    for name in os.listdir(build):
        if name.endswith(".so"):
            os.symlink(os.path.join(build, name), os.path.join(d, name))
    for name in ("wrong_abi", "failing_init"):
        os.symlink(os.path.join(os.environ["AGENDAD_TEST_PLUGIN_DIR"], name + ".so"),
                   os.path.join(d, name + ".so"))
    return d


@unittest.skipUnless(sanitized(BIN), "not an ASan build: LeakSanitizer is not linked in")
class LeakTest(unittest.TestCase):
    @staticmethod
    def get_page(d, path):
        """The agenda plugin's pages redirect to a language first."""
        status, headers, _ = d.get(path)
        if status in (301, 302, 303, 307):
            loc = headers["location"]
            if "://" in loc:
                loc = "/" + loc.split("://", 1)[1].split("/", 1)[1]
            status = d.get(loc)[0]
        return status

    def assert_clean(self, d, code):
        log = d.log_text()
        for r in REPORTS:
            self.assertNotIn(r, log, log[-4000:])
        self.assertEqual(code, 0, log[-4000:])

    def test_shutdown_after_reloads_with_plugins_reports_no_leak(self):
        d = Daemon(plugin_dir=plugin_dir())
        self.addCleanup(d.cleanup)
        # The sample's agenda plugin, the example, and two that fail.
        d.load_plugins('agenda: {hijri: islamic-umalqura}\nexample: {greeting: "Marhaba"}\n'
                       'failing_init: {}\nwrong_abi: {}')
        # Detect leaks at exit; keep going on the first report so that the
        # log shows them all.
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        d.start()
        for i in range(3):
            self.assertEqual(d.get("/feeds/network.ics")[0], 200)
            self.assertEqual(d.get("/feeds/members/fes.ics?lang=fr&alarm=1d")[0], 200)
            self.assertEqual(d.get("/plugins/example/hello")[0], 200)
            for page in ("/", "/events/2023-03-07-fes-meknes-cocreation-workshop"):
                self.assertEqual(self.get_page(d, page), 200)
            d.reload("configuration loaded")
        # A broken config: the reload fails and the old one stays.
        d.write("events/broken.yaml", "- uid: [\n")
        d.reload("configuration not reloaded")
        os.unlink(d.path("events/broken.yaml"))
        # Without the plugins section the plugins are unloaded on reload (or,
        # where reload does not unload them, at shutdown).
        d.load_plugins("{}")
        d.reload("configuration loaded")
        self.assertEqual(d.get("/feeds/network.ics")[0], 200)
        self.assert_clean(d, d.stop(signal.SIGTERM, timeout=60))

    def test_invitations_documents_and_minutes_report_no_leak(self):
        """Invitations sent, updated and cancelled through reminder-email,
        a document served and listed, a missing-minutes reminder."""
        from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer
        smtp = SmtpPeer().start()
        self.addCleanup(smtp.stop)
        d = ReminderDaemon(smtp.port)
        self.addCleanup(d.cleanup)
        d.write("agendad.yaml", d.read("agendad.yaml") +
                "invitations:\n  organizer: rsvp@rmcto.test\n")
        os.makedirs(d.path("documents"))
        with open(d.path("documents", "odj.pdf"), "wb") as f:
            f.write(b"%PDF-1.4\n")
        docs = ("invitations: true\ndocuments:\n  - title: {fr: ODJ}\n    kind: agenda\n"
                "    published: 2026-04-01\n    file: odj.pdf\n")
        d.set_event()
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") + docs)
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        d.set_time(EVENT_START_UTC - 5 * 86400)
        d.start()
        smtp.wait(3)
        self.assertEqual(d.get("/documents/workshop-1/odj.pdf")[0], 200)
        d.set_event(start="2026-04-10T10:00", end="2026-04-10T13:00")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") + docs)
        d.reload("configuration loaded")
        smtp.wait(6)
        d.set_event(status="cancelled")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") + docs)
        d.reload("configuration loaded")
        smtp.wait(9)
        d.set_event()
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") + docs)
        d.reload("configuration loaded")
        d.set_time(EVENT_START_UTC + 16 * 86400)
        d.wait_log("minutes of workshop-1 sent to", timeout=20)
        self.assert_clean(d, d.stop(signal.SIGTERM, timeout=60))

    def test_check_and_export_report_no_leak(self):
        # check loads the sample config's agenda plugin: from the build.
        d = Daemon(plugin_dir=os.environ["AGENDAD_PLUGIN_BUILD_DIR"])
        self.addCleanup(d.cleanup)
        for args in (("check",), ("export", "--out", os.path.join(d.tmp, "out")), ("list",)):
            r = d.run_cli(*args)
            out = r.stdout + r.stderr
            for rep in REPORTS:
                self.assertNotIn(rep, out, out[-4000:])
            self.assertEqual(r.returncode, 0, out[-4000:])


if __name__ == "__main__":
    unittest.main()
