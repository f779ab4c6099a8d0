"""`agendad check` fails on what would make a plugin leave itself out of the
daemon, or fail at every use, and says where the admin wrote it: each
plugin checks its own settings (ABI 1.8, "checks of the settings" in
plugin.h), the core knows none of their keys. The daemon runs the same
checks at start and on each reload. A plugin built for ABI 1.7, without
checks, still loads in check mode."""

import os
import stat
import subprocess
import unittest

from harness import Daemon

PLUGINS = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
COMPAT_PLUGINS = os.path.join(os.environ["AGENDAD_COMPAT_PLUGIN_DIR"], "plugins")
TEST_PLUGINS = os.environ["AGENDAD_TEST_PLUGIN_DIR"]
HELPER = os.path.join(PLUGINS, "agendad-ical-import")


def position(text, needle, nth=1, skip=0):
    """line:col (1-based) where needle starts, its nth occurrence, plus skip
    characters."""
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    at += skip
    line = text.count("\n", 0, at) + 1
    return f"{line}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"


class CheckPlugins(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(plugin_dir=PLUGINS)
        self.addCleanup(self.d.cleanup)
        self.secret = self.d.path("webhook-secret")
        self.password = self.d.path("smtp-password")
        for path in (self.secret, self.password):
            with open(path, "w") as f:
                f.write("s3cret\n")
        self.program = self.d.path("notify")
        with open(self.program, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(self.program, 0o755)
        self.settings = {
            "agenda": "hijri: off",
            "example": 'greeting: "Ahlan"',
            "reminder-email": (f'url: "smtp://127.0.0.1:9"\nfrom: "agenda@example.org"\n'
                               f'password_file: "{self.password}"'),
            "reminder-webhook": f'url: "http://127.0.0.1:9/hook"\nsecret_file: "{self.secret}"',
            "reminder-command": f'program: "{self.program}"',
            "sync": f'helper: "{HELPER}"',
        }
        # One member pulls its feed: sync would run its parser.
        self.d.write("members.yaml", self.d.read("members.yaml").replace(
            "  - id: oriental\n", "  - id: oriental\n    feed_url: http://127.0.0.1:9/o.ics\n", 1))

    def configure(self, **changes):
        """Loads every bundled plugin with the good settings, but changes."""
        sections = {**self.settings, **changes}
        self.d.load_plugins("\n".join(
            f"{name}:\n" + "".join(f"  {line}\n" for line in body.splitlines())
            for name, body in sections.items()))
        return self.d.read("agendad.yaml")

    def check(self, *more):
        return self.d.run_cli("check", *more)

    def assertFails(self, r, *errors):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        for e in errors:
            self.assertIn(e, r.stderr)
        self.assertIn(f"{len(errors)} error{'s' if len(errors) > 1 else ''}; the running daemon "
                      "keeps its last good configuration", r.stderr)

    def at(self, text, needle, nth=1, file="agendad.yaml", skip=0):
        return f"{self.d.path(file)}:{position(text, needle, nth, skip)}: error: "

    def test_a_good_config_with_every_plugin_passes(self):
        self.configure()
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertRegex(r.stdout, r": OK: 66 members, \d+ categories, \d+ events\n\Z")

    def test_unreadable_secret_file(self):
        missing = self.d.path("no-such-secret")
        text = self.configure(**{"reminder-webhook": f'url: "http://127.0.0.1:9/hook"\n'
                                                     f'secret_file: "{missing}"'})
        self.assertFails(self.check(), self.at(text, f'"{missing}"') +
                         f"cannot read the webhook secret from {missing}: No such file or "
                         "directory\n")

    def test_secret_that_is_a_directory_or_empty(self):
        empty = self.d.path("empty-secret")
        open(empty, "w").close()
        text = self.configure(**{
            "reminder-webhook": f'url: "http://127.0.0.1:9/hook"\nsecret_file: "{empty}"',
            "reminder-email": f'url: "smtp://127.0.0.1:9"\nfrom: "a@example.org"\n'
                              f'password_file: "{self.d.tmp}"'})
        self.assertFails(self.check(),
                         self.at(text, f'"{self.d.tmp}"') +
                         f"cannot read the SMTP password from {self.d.tmp}: Is a directory\n",
                         self.at(text, f'"{empty}"') +
                         "secret_file (or secret_credential) is required and must not be empty")

    def test_unreadable_password_file(self):
        missing = self.d.path("no-such-password")
        text = self.configure(**{"reminder-email": f'url: "smtp://127.0.0.1:9"\n'
                                                   f'from: "a@example.org"\n'
                                                   f'password_file: "{missing}"'})
        self.assertFails(self.check(), self.at(text, f'"{missing}"') +
                         f"cannot read the SMTP password from {missing}: No such file or "
                         "directory\n")

    def test_credential_without_systemd(self):
        text = self.configure(**{"reminder-email": 'url: "smtp://127.0.0.1:9"\n'
                                                   'from: "a@example.org"\n'
                                                   'password_credential: smtp-password'})
        env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
        r = subprocess.run(self.d.args("check"), capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertFails(r, self.at(text, "smtp-password", 1) +
                         "password_credential is set but CREDENTIALS_DIRECTORY is not")
        env["CREDENTIALS_DIRECTORY"] = self.d.tmp
        os.rename(self.password, os.path.join(self.d.tmp, "smtp-password"))
        r = subprocess.run(self.d.args("check"), capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_missing_helper(self):
        missing = self.d.path("no-such-import")
        text = self.configure(sync=f'helper: "{missing}"')
        self.assertFails(self.check(), self.at(text, f'"{missing}"') +
                         f"cannot start the calendar parser {missing}: No such file or "
                         "directory\n")
        # Without a member's feed to pull, the parser never runs.
        self.d.write("members.yaml", self.d.read("members.yaml").replace(
            "    feed_url: http://127.0.0.1:9/o.ics\n", ""))
        self.assertEqual(self.check().returncode, 0)

    def test_missing_or_unrunnable_program(self):
        missing = self.d.path("no-such-program")
        text = self.configure(**{"reminder-command": f'program: "{missing}"'})
        self.assertFails(self.check(), self.at(text, f'"{missing}"') +
                         f"cannot run {missing}: No such file or directory\n")
        os.chmod(self.program, stat.S_IRUSR | stat.S_IWUSR)
        text = self.configure()
        # (root too needs an x bit to run it)
        self.assertFails(self.check(), self.at(text, f'"{self.program}"') +
                         f"cannot run {self.program}: Permission denied\n")
        text = self.configure(**{"reminder-command": "program: notify"})
        self.assertFails(self.check(),
                         self.at(text, "notify\n") + "program must be an absolute path\n")

    def test_member_without_emails_reached_by_email(self):
        self.configure()
        members = self.d.read("members.yaml").replace(
            "  - id: oriental\n", "  - id: oriental\n    reminders: {channels: [webhook, email]}\n",
            1)
        self.d.write("members.yaml", members)
        where = self.at(members, "email]", file="members.yaml")
        self.assertFails(self.check(), where +
                         'member "oriental" has no "emails" for the email channel\n')
        # Not without the email channel's plugin, whose rule it is.
        del self.settings["reminder-email"]
        self.configure()
        self.assertEqual(self.check().returncode, 0)

    def test_unknown_keys_of_agenda_and_example(self):
        text = self.configure(agenda="hijri: off\ncolour: red", example="greting: Salam")
        self.assertFails(self.check(),
                         self.at(text, "colour: red", skip=8) + 'unknown key "colour" (the agenda '
                         "plugin knows hijri, hijri_adjust, templates)\n",
                         self.at(text, "greting: Salam", skip=9) + 'unknown key "greting" (the '
                         'example plugin knows "greeting")\n')

    def test_every_independent_error_in_one_run(self):
        # An event file's error does not hide the plugins'.
        missing = self.d.path("no-such-program")
        text = self.configure(**{"reminder-command": f'program: "{missing}"'})
        self.d.write("events/zz-broken.yaml", "uid: broken\ntitle: {fr: X}\n"
                                              "start: 2027-02-30T10:00\nend: 2027-03-01T10:00\n"
                                              "host: fes\n")
        r = self.check()
        self.assertFails(r, "zz-broken.yaml:3:8: error: ",
                         self.at(text, f'"{missing}"') + f"cannot run {missing}")
        self.assertLess(r.stderr.index("zz-broken.yaml"), r.stderr.index("cannot run"))

    def test_a_plugin_that_cannot_load_is_an_error_at_its_entry(self):
        self.d.plugin_dir = TEST_PLUGINS
        self.d.load_plugins("wrong_abi: {}\nfailing_init: {}")
        text = self.d.read("agendad.yaml")
        r = self.check()
        self.assertFails(r, self.at(text, "wrong_abi:") + 'plugin "wrong_abi" would be left out: '
                         "built for plugin ABI 2.0, host has 1.",
                         self.at(text, "failing_init:") + 'plugin "failing_init" would be left '
                         'out: init failed (-8: plugin failure): cannot start: missing setting '
                         '"token"\n')
        # Its log lines, and the host's, show with -v only.
        self.assertNotIn("left out\n", r.stderr)
        self.assertIn("plugin failing_init: init failed (-8: plugin failure); left out",
                      self.check("-v").stderr)

    def test_plugins_built_for_abi_1_7_load_without_checks(self):
        self.d.plugin_dir = COMPAT_PLUGINS
        self.configure()
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)
        # Without a check, what init refuses is the plugin left out, with
        # what it logged.
        missing = self.d.path("no-such-secret")
        text = self.configure(**{"reminder-webhook": f'url: "http://127.0.0.1:9/hook"\n'
                                                     f'secret_file: "{missing}"'})
        self.assertFails(self.check(), self.at(text, "reminder-webhook:") +
                         'plugin "reminder-webhook" would be left out: init failed (-8: plugin '
                         f"failure): cannot read the webhook secret from {missing}\n")


class DaemonRunsTheChecks(unittest.TestCase):
    """The checks the daemon's plugins run on a config it starts with, or
    reloads: a member reached by email without an address."""

    MEMBER = "  - id: oriental\n    reminders: {channels: [email]}\n"

    def setUp(self):
        self.d = Daemon(plugin_dir=PLUGINS)
        self.addCleanup(self.d.cleanup)
        self.d.load_plugins('reminder-email:\n  url: "smtp://127.0.0.1:9"\n'
                            '  from: "agenda@example.org"')

    def without_emails(self):
        members = self.d.read("members.yaml").replace("  - id: oriental\n", self.MEMBER, 1)
        self.d.write("members.yaml", members)
        return (f"{self.d.path('members.yaml')}:{position(members, 'email]')}: error: "
                'member "oriental" has no "emails" for the email channel\n')

    def test_reload_refused_and_logged(self):
        self.d.start()
        before = self.d.get("/feeds/members/oriental.ics")[1]["etag"]
        error = self.without_emails()
        log = self.d.reload("still serving the previous")
        self.assertIn(error, log)
        self.assertIn("configuration not reloaded (SIGHUP)", log)
        self.assertEqual(self.d.get("/feeds/members/oriental.ics")[1]["etag"], before)
        # Fixed: the next reload applies.
        self.d.write("members.yaml", self.d.read("members.yaml").replace(
            self.MEMBER, "  - id: oriental\n    emails: [oriental@example.org]\n"
                         "    reminders: {channels: [email]}\n"))
        self.d.reload("configuration loaded (SIGHUP)")

    def test_start_refused(self):
        error = self.without_emails()
        with self.assertRaises(RuntimeError) as e:
            self.d.start()
        self.assertIn(error, str(e.exception))
        self.assertIn("not started: fix the errors above and start again", str(e.exception))
        self.assertEqual(self.d.proc.returncode, 1)
        self.d.proc = None
        self.d.log.close()


if __name__ == "__main__":
    unittest.main()
