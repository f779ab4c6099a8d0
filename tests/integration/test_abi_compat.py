"""Plugins built against the frozen plugin.h of ABI 1.7 (tests/compat/abi-1.7,
built by tests/compat/CMakeLists.txt into AGENDAD_COMPAT_PLUGIN_DIR) run in
today's daemon and do what the same plugins built against today's header do:
the example's route, the agenda's pages and renderer, reminders through the
email and command channels, the sync plugin's pull, and the test plugins
(wrong_abi refused, failing_init left out, late registrations refused, the
store queries, the route rules, the network client)."""

import glob
import hashlib
import hmac
import http.server
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness import SOURCE_DIR, Daemon
from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

# The sync plugin's tests live beside it; their peer and feeds serve here too.
sys.path.insert(0, os.path.join(SOURCE_DIR, "plugins", "sync", "tests"))
from test_sync import MEMBERS_YAML, Peer, fes_feed, oriental_feed, write_sync_config  # noqa: E402

BUILD_DIR = os.environ["AGENDAD_BUILD_DIR"]
COMPAT = os.environ["AGENDAD_COMPAT_PLUGIN_DIR"]
COMPAT_PLUGINS = os.path.join(COMPAT, "plugins")
COMPAT_TEST_PLUGINS = os.path.join(COMPAT, "tests", "plugins")
CURRENT_PLUGINS = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
CURRENT_TEST_PLUGINS = os.environ["AGENDAD_TEST_PLUGIN_DIR"]
FROZEN = os.path.join(SOURCE_DIR, "tests", "compat", "abi-1.7", "agendad", "plugin.h")
# git show 2a389b0:core/include/agendad/plugin.h | sha256sum
FROZEN_SHA256 = "6937be3e7ef30872bdf17ed82508a611de651f23be1a884dd0dd0a5183b5ef84"
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"
DAY = 86400


def plugin_dir(*paths):
    """A directory of symlinks to the given NAME.so files."""
    d = tempfile.mkdtemp(prefix="agendad-compat-")
    for path in paths:
        os.symlink(path, os.path.join(d, os.path.basename(path)))
    return d


def compat_and_current(name, test_plugin=False):
    """The frozen-header build of a plugin and today's build of it."""
    if test_plugin:
        return (os.path.join(COMPAT_TEST_PLUGINS, name + ".so"),
                os.path.join(CURRENT_TEST_PLUGINS, name + ".so"))
    return os.path.join(COMPAT_PLUGINS, name + ".so"), os.path.join(CURRENT_PLUGINS, name + ".so")


# Test plugins that use entries added after 1.7 (AGENDAD_ABI_MINOR in their
# CMakeLists.txt): they have no frozen build.
NEEDS_LATER_MINOR = {"commands.so", "forms.so"}


class FrozenBuilds(unittest.TestCase):
    def test_frozen_header_is_the_shipped_one(self):
        with open(FROZEN, "rb") as f:
            text = f.read()
        self.assertEqual(hashlib.sha256(text).hexdigest(), FROZEN_SHA256,
                         "tests/compat/abi-1.7 is a verbatim copy: never edit it")
        self.assertIn(b"#define AGENDAD_PLUGIN_ABI_MINOR 7\n", text)

    def test_every_plugin_has_a_frozen_build(self):
        for current, compat in [(CURRENT_PLUGINS, COMPAT_PLUGINS),
                                (CURRENT_TEST_PLUGINS, COMPAT_TEST_PLUGINS)]:
            names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(current, "*.so"))
                           if os.path.basename(p) not in NEEDS_LATER_MINOR)
            self.assertTrue(names, current)
            self.assertEqual(sorted(os.path.basename(p)
                                    for p in glob.glob(os.path.join(compat, "*.so"))), names)

    @unittest.skipUnless(os.path.exists(os.path.join(BUILD_DIR, "build.ninja"))
                         and shutil.which("ninja"), "needs the Ninja build's dependency log")
    def test_compat_objects_read_the_frozen_header(self):
        deps = subprocess.run(["ninja", "-C", BUILD_DIR, "-t", "deps"], capture_output=True,
                              text=True, check=True).stdout
        seen = {}
        obj = None
        for line in deps.splitlines():
            if line and not line[0].isspace():
                obj = line.split(":")[0]
            elif line.strip().endswith("agendad/plugin.h") and "/compat_" in (obj or ""):
                seen[obj] = os.path.realpath(line.strip())
        self.assertTrue(seen, "no compat object found in the dependency log")
        for obj, header in seen.items():
            self.assertEqual(header, os.path.realpath(FROZEN), obj)


class FrozenPluginsInTheDaemon(unittest.TestCase):
    def serve_both(self, d, paths, reload=False):
        """What d serves at paths with the frozen builds, then with today's,
        in the same daemon config, state and port."""
        out = []
        for dir_ in (d.compat_dir, d.current_dir):
            d.plugin_dir = dir_
            d.start()
            try:
                if reload:
                    d.reload("configuration loaded")
                out.append({p: d.get(p)[2] for p in paths})
            finally:
                d.stop()
        return out

    def daemon(self, *names, test_plugins=()):
        pairs = [compat_and_current(n) for n in names] + \
                [compat_and_current(n, True) for n in test_plugins]
        d = Daemon(plugin_dir=None)
        d.compat_dir = plugin_dir(*(c for c, _ in pairs))
        d.current_dir = plugin_dir(*(c for _, c in pairs))
        self.addCleanup(shutil.rmtree, d.compat_dir)
        self.addCleanup(shutil.rmtree, d.current_dir)
        self.addCleanup(d.cleanup)
        return d

    def test_refused_and_failing_plugins_are_left_out(self):
        d = self.daemon("example", test_plugins=("wrong_abi", "failing_init"))
        d.load_plugins('wrong_abi: {}\nexample: {greeting: "Marhaba"}\n'
                       'failing_init: {}\nmissing_plugin: {}')
        d.plugin_dir = d.compat_dir
        with d:
            log = d.log_text()
            self.assertRegex(log, r"plugin wrong_abi: built for plugin ABI 2\.0, host has "
                                  r"1\.\d+; left out")
            self.assertIn('plugin failing_init: cannot start: missing setting "token"', log)
            self.assertIn("plugin failing_init: init failed (-8: plugin failure); left out", log)
            self.assertIn("missing_plugin", log)
            self.assertIn("1 of 4 plugins running", log)
            status, _, body = d.get("/plugins/example/hello")
            self.assertEqual(status, 200)
            self.assertTrue(body.decode().startswith("Marhaba\n"))
            self.assertEqual(d.get("/plugins/failing")[0], 404)
            d.reload("configuration loaded")
            self.assertEqual(d.get("/plugins/example/hello")[0], 200)
            self.assertEqual(d.stop(), 0)

    def test_example_and_test_plugins_answer_as_todays_builds(self):
        d = self.daemon("example", test_plugins=("route_rules", "store_probe", "late_register",
                                                 "null_channel"))
        d.load_plugins('example: {greeting: "Salam"}\nroute_rules: {}\nstore_probe: {}\n'
                       'late_register: {}\nnull_channel: {}')
        paths = ["/plugins/example/hello?lang=fr", "/plugins/rules", "/plugins/rules/cached",
                 "/", f"/events/{WORKSHOP}", f"/plugins/probe?uid={WORKSHOP}&member=fes-meknes",
                 "/plugins/late/status"]
        frozen, today = self.serve_both(d, paths, reload=True)
        self.assertEqual(frozen, today)
        self.assertTrue(frozen["/plugins/example/hello?lang=fr"].startswith(b"Salam\nevents: "))
        self.assertIn(b"/plugins/rules success\n", frozen["/plugins/rules"])
        self.assertEqual(frozen["/plugins/rules/cached"], b"<p>cached</p>")
        self.assertEqual(frozen["/"], b"front /")
        self.assertIn(f"uid: {WORKSHOP}\n".encode(), frozen[paths[5]])
        self.assertEqual(frozen["/plugins/late/status"],
                         b"timer: -2 -2 -2 -2\nlistener: -2 -2 -2 -2\n")
        log = d.log_text()
        self.assertEqual(log.count("5 of 5 plugins running"), 2, log)
        self.assertIn("plugin null_channel: loaded null_channel", log)
        self.assertIn("late registration from timer: not allowed outside init", log)

    def test_agenda_pages_and_renderer_as_todays_build(self):
        d = self.daemon("agenda")  # the sample config loads it
        paths = ["/?lang=fr", f"/events/{WORKSHOP}?lang=ar",
                 f"/events/{WORKSHOP}/agenda.md?lang=fr", f"/events/{WORKSHOP}/agenda.txt?lang=ar"]
        frozen, today = self.serve_both(d, paths)
        self.assertEqual(frozen, today)
        self.assertIn("Événements à venir", frozen["/?lang=fr"].decode())
        self.assertIn("جدول الأعمال", frozen[paths[1]].decode())
        self.assertIn("- **09:30 – 10:00** · Accueil des participants\n",
                      frozen[paths[2]].decode())
        rendered = []
        for dir_ in (d.compat_dir, d.current_dir):
            r = d.run_cli("agenda", WORKSHOP, "--format", "md", "--lang", "fr",
                          "--plugin-dir", dir_)
            self.assertEqual(r.returncode, 0, r.stderr)
            rendered.append(r.stdout)
        self.assertEqual(rendered[0], rendered[1])
        self.assertEqual(rendered[0].encode(), frozen[paths[2]])

    def test_plugin_host_cases_on_the_frozen_builds(self):
        """tests/unit/test_plugin_host.c, run on the frozen builds: it finds
        its plugins under AGENDAD_BUILD_DIR/plugins and /tests/plugins,
        which the compat tree mirrors."""
        env = dict(os.environ, AGENDAD_BUILD_DIR=COMPAT)
        r = subprocess.run([os.path.join(BUILD_DIR, "tests", "test_plugin_host")], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for case in ["example_route_answers", "example_channel_and_listener",
                     "broken_plugins_are_left_out", "late_registration_is_refused",
                     "store_queries", "route_rules_and_renderers"]:
            self.assertIn(f"[       OK ] {case}", r.stdout)


class FrozenNetworkClient(unittest.TestCase):
    def test_fetch_and_cancel_through_the_host(self):
        peer = subprocess.Popen(["/usr/bin/python3",
                                 os.path.join(SOURCE_DIR, "tests", "peers", "http_peer.py"), "0"],
                                stdout=subprocess.PIPE, text=True)
        self.addCleanup(peer.wait)
        self.addCleanup(peer.kill)
        port = int(peer.stdout.readline())
        peer.stdout.close()
        dir_ = plugin_dir(compat_and_current("net_probe", True)[0])
        self.addCleanup(shutil.rmtree, dir_)
        d = Daemon(plugin_dir=dir_)
        self.addCleanup(d.cleanup)
        d.load_plugins("net_probe: {}")
        with d:
            status, _, body = d.get(f"/plugins/net_probe?url=http://127.0.0.1:{port}/feed.ics")
            self.assertEqual(status, 200)
            self.assertTrue(body.decode().startswith('ok 200 "feed-v1"\n'), body)
            status, _, body = d.get(
                f"/plugins/net_probe?url=http://127.0.0.1:{port}/slow?ms=3000&cancel=1")
            self.assertTrue(body.decode().startswith("cancelled"), body)


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class FrozenReminderChannels(unittest.TestCase):
    def test_email_command_and_webhook_deliver(self):
        smtp = SmtpPeer().start()
        self.addCleanup(smtp.stop)
        Receiver.got = []
        hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        self.addCleanup(hook.server_close)
        self.addCleanup(hook.shutdown)
        secret = os.path.join(smtp.dir, "secret")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        out = os.path.join(smtp.dir, "cmd-out")
        prog = os.path.join(smtp.dir, "notify.py")
        with open(prog, "w") as f:
            f.write("#!/usr/bin/python3\nimport json, os, sys\n"
                    f"open({out!r}, 'a').write(json.dumps({{'env': dict(os.environ), "
                    "'doc': json.load(sys.stdin)}) + '\\n')\n")
        os.chmod(prog, stat.S_IRWXU)
        extra = (f"    reminder-command:\n      program: \"{prog}\"\n      timeout: 10\n"
                 f"    reminder-webhook:\n"
                 f"      url: \"http://127.0.0.1:{hook.server_address[1]}/hook\"\n"
                 f"      secret_file: \"{secret}\"\n      timeout: 5\n")
        d = ReminderDaemon(smtp.port, extra_plugins=extra)
        self.addCleanup(d.cleanup)
        d.plugin_dir = COMPAT_PLUGINS
        d.set_event(audience="fes-meknes", channels="email, command, webhook")
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        log = d.log_text()
        for name in ("reminder-email", "reminder-command", "reminder-webhook"):
            self.assertRegex(log, rf"plugin {name}: loaded {name} \S+ \(0 routes, 1 channels")
        self.assertIn("3 of 3 plugins running", log)
        env, msg = smtp.wait(1)[0]
        self.assertEqual(env, ["agenda@rmcto.test", "fes@members.test"])
        self.assertTrue(msg["Message-ID"].startswith("<reminder-"))
        att = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
        self.assertEqual([a.get_param("method") for a in att], ["PUBLISH"])
        rows = d.wait_outbox(lambda r: len(r) == 3 and all(x["state"] == "sent" for x in r))
        self.assertEqual(sorted(x["channel"] for x in rows), ["command", "email", "webhook"])
        with open(out) as f:
            rec = json.loads(f.readline())
        self.assertEqual(rec["env"]["AGENDAD_EVENT_UID"], "workshop-1")
        self.assertEqual(rec["env"]["AGENDAD_RECIPIENT_ADDRESS"], "fes@members.test")
        headers, body = Receiver.got[0]
        self.assertEqual(headers["X-Agendad-Signature"],
                         "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest())
        doc = json.loads(body)
        self.assertEqual((doc["kind"], doc["event"]["uid"]), ("reminder", "workshop-1"))
        self.assertEqual(headers["X-Agendad-Delivery"], doc["id"])


class FrozenSync(unittest.TestCase):
    def test_pull_reaches_the_member_feed(self):
        peer = Peer()
        self.addCleanup(peer.stop)
        peer.write("fes-meknes.ics", fes_feed())
        peer.write("oriental.ics", oriental_feed())
        cfg = tempfile.mkdtemp(prefix="agendad-compat-sync-")
        self.addCleanup(shutil.rmtree, cfg)
        write_sync_config(cfg, MEMBERS_YAML % {"base": peer.base})
        d = Daemon(config_src=cfg, plugin_dir=COMPAT_PLUGINS)
        self.addCleanup(d.cleanup)
        d.start()
        self.assertIn("plugin sync: loaded sync", d.log_text())
        deadline = time.monotonic() + 30
        members = {}
        while time.monotonic() < deadline:
            status, _, body = d.get("/plugins/sync/status")
            self.assertEqual(status, 200)
            members = {m["member"]: m for m in json.loads(body)["members"]}
            if all(m["events"] and m["last_success"] for m in members.values()) and members:
                break
            time.sleep(0.1)
        self.assertEqual({k: m["events"] for k, m in members.items()},
                         {"fes-meknes": 2, "oriental": 4}, d.log_text())
        status, _, feed = d.get("/feeds/members/fes-meknes.ics")
        self.assertEqual(status, 200)
        self.assertIn(b"UID:fes-meknes:workshop-1@fes.example", feed)
        self.assertIn("SUMMARY;LANGUAGE=fr:Atelier de co-création", feed.decode())
        # `agendad sync status` is a command (ABI 1.8): a sync plugin built
        # for 1.7 has none, and the command line says so.
        r = d.run_cli("sync", "status")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
