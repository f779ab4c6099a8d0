"""`cmake --install` into a temporary prefix: the installed daemon runs
against the installed config; the installed units pass `systemd-analyze
verify` and score an exposure of 2.0 or lower; the man page and --help
document every option, and the installed admin's manual every config key."""

import glob
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from doc_sources import cli_options, config_keys
from harness import SOURCE_DIR, Daemon, free_port

BUILD_DIR = os.environ.get("AGENDAD_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
UNITS = ["agendad.service", "agendad.socket", "agendad-mail.socket", "agendad-export.service",
         "agendad-export.timer"]


class InstalledDaemon(Daemon):
    """A Daemon run from the installed binary."""

    def __init__(self, bin_, **kw):
        super().__init__(**kw)
        self.bin = bin_

    def args(self, command, *more):
        return [self.bin] + super().args(command, *more)[1:]


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="agendad-install-")
        r = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", cls.prefix],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def test_layout(self):
        for rel in ["bin/agendad", "etc/agendad/agendad.yaml", "etc/agendad/members.yaml",
                    "include/agendad/plugin.h", "share/man/man8/agendad.8",
                    "share/doc/agendad/README.md", "share/doc/agendad/admin.md",
                    "share/doc/agendad/operations.md", "share/doc/agendad/plugins.md",
                    "share/doc/agendad/benchmarks.md",
                    "lib/sysusers.d/agendad.conf", "lib/tmpfiles.d/agendad.conf",
                    "share/locale/fr/LC_MESSAGES/agendad.mo",
                    "share/locale/ar/LC_MESSAGES/agendad.mo",
                    *("lib/systemd/system/" + u for u in UNITS)]:
            self.assertTrue(os.path.isfile(self.path(rel)), rel)
        self.assertTrue(glob.glob(self.path("lib*", "pkgconfig", "agendad-plugin.pc")))
        self.assertTrue(glob.glob(self.path("lib*", "agendad", "agendad-net.so")))
        self.assertTrue(glob.glob(self.path("etc/agendad/events/*.yaml")))

    def test_installed_daemon_serves_the_installed_config(self):
        bin_ = self.path("bin/agendad")
        conf = self.path("etc/agendad")
        # check loads the config's plugins: the installed ones (the config
        # names a package's directory, which a prefix install is not).
        plugins = glob.glob(self.path("lib*", "agendad", "plugins"))
        r = subprocess.run([bin_, "check", "--config", conf, "--plugin-dir", plugins[0]],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        port = free_port()
        state = self.path("state.db")
        log = open(self.path("daemon.log"), "wb")
        proc = subprocess.Popen([bin_, "run", "--config", conf, "--state", state,
                                 "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
        try:
            body = None
            deadline = time.monotonic() + 20
            while body is None and time.monotonic() < deadline and proc.poll() is None:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    c.request("GET", "/feeds/network.ics")
                    resp = c.getresponse()
                    body = resp.read() if resp.status == 200 else None
                    c.close()
                except OSError:
                    time.sleep(0.05)
            self.assertIsNotNone(body)
            self.assertTrue(body.startswith(b"BEGIN:VCALENDAR"))
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(20), 0)
            log.close()

    def test_installed_agendad_finds_its_catalogs(self):
        """share/locale relative to the installed binary, whatever the
        prefix: not the build tree's, not the configured prefix's."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "AGENDAD_LOCALEDIR")}
        env["LANG"] = "fr_FR.UTF-8"
        missing = self.path("no-config")
        r = subprocess.run([self.path("bin/agendad"), "check", "--config", missing],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn(missing + "/agendad.yaml: erreur : ce fichier manque : le répertoire de "
                      "configuration doit contenir un fichier agendad.yaml", r.stderr)
        # Removed, the installed catalog is missed: no other one was used.
        os.rename(self.path("share/locale"), self.path("share/locale.off"))
        try:
            r = subprocess.run([self.path("bin/agendad"), "check", "--config", missing],
                               capture_output=True, text=True, env=env)
        finally:
            os.rename(self.path("share/locale.off"), self.path("share/locale"))
        self.assertIn(": error: this file is missing", r.stderr)

    @unittest.skipUnless(os.environ.get("AGENDAD_TEST_PLUGIN_DIR"), "no test plugins")
    def test_installed_daemon_loads_the_installed_network_module(self):
        """Found relative to the installed binary, whatever the prefix."""
        peer = subprocess.Popen(["/usr/bin/python3",
                                 os.path.join(SOURCE_DIR, "tests/peers/http_peer.py"), "0"],
                                stdout=subprocess.PIPE, text=True)
        self.addCleanup(peer.stdout.close)
        self.addCleanup(peer.wait)
        self.addCleanup(peer.kill)
        peer_port = int(peer.stdout.readline())
        d = InstalledDaemon(self.path("bin/agendad"),
                            plugin_dir=os.environ["AGENDAD_TEST_PLUGIN_DIR"])
        self.addCleanup(d.cleanup)
        d.load_plugins("net_probe: {}")
        d.start()
        status, _, body = d.get(f"/plugins/net_probe?url=http://127.0.0.1:{peer_port}/feed.ics")
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith(b"ok 200"), body)
        module = glob.glob(self.path("lib*", "agendad", "agendad-net.so"))[0]
        m = re.search(r"network module loaded from (\S+)", d.log_text())
        self.assertIsNotNone(m, d.log_text())
        self.assertEqual(os.path.realpath(m.group(1)), os.path.realpath(module))

    def units_for_this_prefix(self):
        """The units name the configured prefix's binary; point them at
        this install so that verify can check the command exists."""
        out = self.path("units")
        os.makedirs(out, exist_ok=True)
        for u in UNITS:
            with open(self.path("lib/systemd/system", u), encoding="utf-8") as f:
                text = re.sub(r"(Exec\w+=)\S*/bin/agendad", r"\1" + self.path("bin/agendad"),
                              f.read())
            with open(os.path.join(out, u), "w", encoding="utf-8") as f:
                f.write(text)
        return out

    @unittest.skipUnless(os.path.exists(ANALYZE), "systemd-analyze is missing")
    def test_units_verify_and_security_exposure(self):
        units = self.units_for_this_prefix()
        env = {**os.environ, "MANPATH": self.path("share/man")}  # Documentation=man:agendad(8)
        r = subprocess.run([ANALYZE, "verify", *(os.path.join(units, u) for u in UNITS)],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")
        for unit, limit in (("agendad.service", 2.0), ("agendad-export.service", 2.0)):
            r = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager",
                                os.path.join(units, unit)],
                               capture_output=True, text=True)
            m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), limit, r.stdout)

    @unittest.skipUnless(shutil.which("systemd-sysusers") and shutil.which("systemd-tmpfiles"),
                         "systemd-sysusers or systemd-tmpfiles is missing")
    def test_sysusers_and_tmpfiles_make_the_units_user_and_state_directory(self):
        """The units' User=agendad and /var/lib/agendad, as the installed
        sysusers.d and tmpfiles.d files make them, in a root of the test's own."""
        root = self.path("root")
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        for tool, conf, extra in (("systemd-sysusers", "lib/sysusers.d/agendad.conf", []),
                                  ("systemd-tmpfiles", "lib/tmpfiles.d/agendad.conf", ["--create"])):
            r = subprocess.run([tool, "--root=" + root, *extra, self.path(conf)],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(os.path.join(root, "etc/passwd"), encoding="utf-8") as f:
            users = {ln.split(":")[0]: ln.split(":") for ln in f if ln.strip()}
        self.assertIn("agendad", users)
        uid = int(users["agendad"][2])
        self.assertTrue(0 < uid < 1000, uid)  # a system user
        self.assertTrue(users["agendad"][6].strip().endswith("nologin"))
        st = os.stat(os.path.join(root, "var/lib/agendad"))
        self.assertEqual((st.st_uid, st.st_mode & 0o7777), (uid, 0o750))
        for unit in ("agendad.service", "agendad-export.service"):
            with open(self.path("lib/systemd/system", unit), encoding="utf-8") as f:
                text = f.read()
            self.assertIn("\nUser=agendad\n", text)
            self.assertNotIn("DynamicUser=", text)

    def test_man_page_help_and_admin_manual_document_every_option_and_key(self):
        with open(self.path("share/man/man8/agendad.8"), encoding="utf-8") as f:
            man = f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
        help_text = subprocess.run([self.path("bin/agendad"), "--help"], capture_output=True,
                                   text=True).stdout
        options = set(re.findall(r"--[a-z][a-z-]+", help_text))
        self.assertGreaterEqual(len(options), 9)
        longs, _ = cli_options()  # the getopt table, wherever under core/src it is
        self.assertIn("config", longs)
        for long_opt in longs:
            self.assertIn("--" + long_opt, help_text)
        for opt in options:
            self.assertIn(opt, man)
        for cmd in ("run", "check", "export", "list", "token"):
            self.assertIn(cmd, help_text)
            self.assertRegex(man, r"\.B " + cmd)
        # The man page sends readers to the admin's manual for the keys
        # (tests/integration/test_docs.py checks its tables in detail).
        self.assertIn("/usr/share/doc/agendad/admin.md", man)
        with open(self.path("share/doc/agendad/admin.md"), encoding="utf-8") as f:
            admin = f.read()
        keys = config_keys()
        self.assertIn("metrics_token_file", keys)
        for key in sorted(keys):
            self.assertRegex(admin, r"`[a-z_.]*\b" + key + r"\b", key)
        if shutil.which("groff"):
            r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                                self.path("share/man/man8/agendad.8")],
                               capture_output=True, text=True)
            self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    unittest.main()
