"""The Debian package (debian/), end to end, on the machine itself.

Builds `agendad` and `agendad-dev` with `dpkg-buildpackage -us -uc -b` from a
clean copy of the tree (the files git knows, or the tree less its build
directories) with DEB_BUILD_OPTIONS=nocheck (the suite has run the tests),
runs lintian on them (no error, no warning: what remains is overridden with
a reason in debian/agendad.lintian-overrides), installs them with `dpkg -i`,
and checks:

- the system user agendad and /var/lib/agendad (0750, its own) exist, no
  unit is enabled and no agendad runs: nothing starts before the admin;
- `agendad check --config /etc/agendad` passes as the agendad user
  (`runuser -u agendad --`), and so does the example network in
  /usr/share/doc/agendad/examples/config; the sync plugin finds the import
  helper in /usr/libexec/agendad;
- the installed daemon, run as agendad on the installed config, serves the
  network's feed and writes its store in /var/lib/agendad;
- `systemd-analyze verify` passes on the installed units and their
  exposure stays at or below 2.0;
- a plugin builds against agendad-dev alone (pkg-config) and loads;
- reinstalling keeps the admin's edit of a conffile and the store;
- `dpkg -r` keeps the conffiles and the state; `dpkg --purge` then leaves
  nothing of the package's files, no /etc/agendad, no /var/lib/agendad, no
  unit state, and nothing new under /etc or /var/lib but the system user
  agendad, which stays (Debian leaves system users: a file it still owns
  elsewhere keeps a known owner), with the backups systemd-sysusers made of
  the user databases.

It installs on this machine: CI is a throwaway Debian 12 machine run as
root. A package installed before is purged first, unless its store exists
(a real installation: the test then stops rather than purge it). Skipped
when not root, when dpkg-dev, debhelper or lintian is missing
(`scripts/deps.sh --test` installs them), and in the suite's sanitizer run
(the package does not depend on it: it is built once). tests/CMakeLists.txt
runs it alone (RUN_SERIAL: the installed plugins are where the sample
config looks for them) with a long TIMEOUT."""

import glob
import http.client
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from harness import SOURCE_DIR, free_port

PACKAGES = ["agendad", "agendad-dev"]
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
UNITS = ["agendad.service", "agendad.socket", "agendad-mail.socket", "agendad-export.service",
         "agendad-export.timer"]
UNIT_DIR = "/lib/systemd/system"
AGENDAD = "/usr/bin/agendad"
EXAMPLES = "/usr/share/doc/agendad/examples/config"
# Where maintainer scripts may leave things; dpkg's and apt's own records
# are theirs.
SNAPSHOT_ROOTS = ["/etc", "/var/lib"]
SNAPSHOT_SKIP = ["/var/lib/dpkg", "/var/lib/apt"]
# What may stay after purge: systemd-sysusers' backups of the user
# databases when it added the user (the user itself stays, see above).
ALLOWED_LEFT = {"/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-"}


def missing_tools():
    tools = {"dpkg-buildpackage": "dpkg-dev", "dh": "debhelper", "lintian": "lintian"}
    return sorted(pkg for tool, pkg in tools.items() if not shutil.which(tool))


def run(cmd, timeout=300, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def status(pkg):
    """The last word of dpkg's status: installed, config-files, not-installed..."""
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.stdout.split()[-1] if r.returncode == 0 and r.stdout.split() else "not-installed"


def snapshot():
    paths = set()
    for root in SNAPSHOT_ROOTS:
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if os.path.join(d, x) not in SNAPSHOT_SKIP]
            paths.update(os.path.join(d, x) for x in dirs + files)
    return paths


def clean_copy(dest):
    """The tree as git sees it (tracked and untracked files, less what
    .gitignore names: build directories), or, outside a git checkout, the
    tree less its build directories."""
    r = run(["git", "-C", SOURCE_DIR, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"])
    if r.returncode == 0 and r.stdout:
        for rel in sorted(set(filter(None, r.stdout.split("\0")))):
            src = os.path.join(SOURCE_DIR, rel)
            if not os.path.lexists(src):  # deleted, not yet committed
                continue
            os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), os.path.join(dest, rel))
            else:
                shutil.copy2(src, os.path.join(dest, rel))
        return
    skip = shutil.ignore_patterns(".git", "build*", "obj-*", "__pycache__")
    shutil.copytree(SOURCE_DIR, dest, symlinks=True, ignore=skip)


@unittest.skipIf(os.environ.get("AGENDAD_ASAN") == "1",
                 "the package is built and installed once, in the suite's plain run")
@unittest.skipIf(missing_tools(),
                 f"{', '.join(missing_tools())} missing: scripts/deps.sh --test installs them")
@unittest.skipUnless(os.geteuid() == 0,
                     "installs the package on this machine: needs root (CI: a throwaway machine)")
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.libdir = "/usr/lib/" + run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
        cls.tmp = tempfile.mkdtemp(prefix="agendad-deb-")
        src = os.path.join(cls.tmp, "agendad")
        clean_copy(src)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AGENDAD_", "ASAN_", "UBSAN_", "MAKEFLAGS", "DEB_"))}
        env.update(DEB_BUILD_OPTIONS=f"nocheck parallel={os.cpu_count() or 1}", LC_ALL="C.UTF-8")
        start = time.monotonic()
        r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env, timeout=1500)
        print(f"dpkg-buildpackage: {time.monotonic() - start:.0f} s", file=sys.stderr)
        if r.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise RuntimeError("dpkg-buildpackage failed:\n" + (r.stdout + r.stderr)[-6000:])
        cls.debs = {p: glob.glob(os.path.join(cls.tmp, f"{p}_*.deb"))[0] for p in PACKAGES}
        cls.changes = glob.glob(os.path.join(cls.tmp, "agendad_*.changes"))[0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def deb_field(self, pkg, field):
        return run(["dpkg-deb", "-f", self.debs[pkg], field]).stdout.strip()

    def deb_paths(self, pkg):
        out = run(["dpkg-deb", "-c", self.debs[pkg]]).stdout
        paths = set()
        for line in out.splitlines():
            name = line.split(None, 5)[5].split(" -> ")[0]
            paths.add(os.path.normpath(name.lstrip(".")) if name != "./" else "/")
        return paths

    def test_lintian_reports_no_error_and_no_warning(self):
        r = run(["lintian", "--display-info", self.changes], timeout=600)
        tags = [ln for ln in r.stdout.splitlines() if re.match(r"[EW]: ", ln)]
        self.assertEqual(tags, [], r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_contents_and_dependencies(self):
        paths = self.deb_paths("agendad")
        for p in [AGENDAD, "/usr/libexec/agendad/agendad-ical-import",
                  self.libdir + "/agendad/agendad-net.so",
                  "/usr/share/man/man8/agendad.8.gz", "/usr/lib/sysusers.d/agendad.conf",
                  "/usr/lib/tmpfiles.d/agendad.conf", "/etc/agendad/agendad.yaml",
                  "/etc/agendad/members.yaml", "/etc/agendad/events",
                  EXAMPLES + "/agendad.yaml", EXAMPLES + "/members.yaml",
                  "/usr/share/doc/agendad/admin.md", "/usr/share/doc/agendad/copyright",
                  "/usr/share/locale/fr/LC_MESSAGES/agendad.mo",
                  "/usr/share/locale/ar/LC_MESSAGES/agendad.mo",
                  *(f"{UNIT_DIR}/{u}" for u in UNITS)]:
            self.assertIn(p, paths)
        plugins = {os.path.basename(p) for p in paths
                   if p.startswith(self.libdir + "/agendad/plugins/")}
        self.assertEqual(plugins, {"agenda.so", "example.so", "reminder-command.so",
                                   "reminder-email.so", "reminder-webhook.so", "sync.so"})
        self.assertTrue(any(p.startswith(EXAMPLES + "/events/") for p in paths))
        dev = self.deb_paths("agendad-dev")
        self.assertIn("/usr/include/agendad/plugin.h", dev)
        self.assertIn(self.libdir + "/pkgconfig/agendad-plugin.pc", dev)
        depends = self.deb_field("agendad", "Depends")
        for lib in ("libuv1", "libical3", "libsqlite3-0", "libyaml-0-2", "libcurl4",
                    "libsystemd0", "tzdata"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)}\b")
        ctrl = os.path.join(self.tmp, "ctrl")
        run(["dpkg-deb", "-e", self.debs["agendad"], ctrl])
        with open(os.path.join(ctrl, "conffiles"), encoding="utf-8") as f:
            self.assertEqual(sorted(f.read().split()),
                             ["/etc/agendad/agendad.yaml", "/etc/agendad/members.yaml"])

    def dpkg(self, *args):
        r = run(["dpkg", *args], timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def as_agendad(self, *cmd):
        return run(["runuser", "-u", "agendad", "--", *cmd])

    def test_install_check_run_and_purge(self):
        if any(status(p) != "not-installed" for p in PACKAGES):
            if os.path.exists("/var/lib/agendad/agendad.db"):
                self.skipTest("agendad is installed here with a store in /var/lib/agendad: "
                              "this test would purge it (dpkg --purge agendad, then rerun)")
            self.dpkg("--purge", *PACKAGES)
        before = snapshot()
        shipped = self.deb_paths("agendad") | self.deb_paths("agendad-dev")
        existed = {p for p in shipped if os.path.lexists(p)}
        self.addCleanup(run, ["dpkg", "--purge", *PACKAGES], 600)

        self.dpkg("-i", *self.debs.values())
        listed = set()
        for pkg in PACKAGES:
            listed |= {os.path.normpath(p) for p in self.dpkg("-L", pkg).stdout.split("\n") if p}
        self.assertEqual(listed - {"/"}, shipped - {"/"})

        with self.subTest("the user and the state directory"):
            user = pwd.getpwnam("agendad")
            self.assertLess(user.pw_uid, 1000)
            self.assertTrue(user.pw_shell.endswith("nologin"), user.pw_shell)
            st = os.stat("/var/lib/agendad")
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (user.pw_uid, 0o750))

        with self.subTest("nothing enabled, nothing running"):
            enabled = [p for p in glob.glob("/etc/systemd/system/**/*agendad*", recursive=True)]
            self.assertEqual(enabled, [])
            self.assertEqual(self.agendad_processes(), [])

        with self.subTest("check as the agendad user"):
            r = self.as_agendad(AGENDAD, "check", "--config", "/etc/agendad")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("OK: 1 members", r.stdout + r.stderr)
            r = self.as_agendad(AGENDAD, "check", "--config", EXAMPLES)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        with self.subTest("the sync plugin finds the import helper"):
            self.check_sync_config()

        with self.subTest("messages in French and Arabic, from /usr/share/locale"):
            self.check_in_french_and_arabic()

        with self.subTest("the installed daemon serves the installed config"):
            self.serve_as_agendad()
        self.assertTrue(os.path.exists("/var/lib/agendad/agendad.db"))

        with self.subTest("units verify, exposure at most 2.0"):
            self.verify_units()

        with self.subTest("a plugin builds against agendad-dev"):
            self.build_plugin_against_dev()

        with self.subTest("reinstalling keeps the admin's edits and the store"):
            members = "/etc/agendad/members.yaml"
            with open(members, "a", encoding="utf-8") as f:
                f.write("  - id: rabat\n    kind: commune\n    region: rabat-sale-kenitra\n"
                        "    name: {fr: \"Commune de Rabat\"}\n")
            self.dpkg("-i", *self.debs.values())
            with open(members, encoding="utf-8") as f:
                self.assertIn("id: rabat\n", f.read())
            self.assertTrue(os.path.exists("/var/lib/agendad/agendad.db"))
            r = self.as_agendad(AGENDAD, "check", "--config", "/etc/agendad")
            self.assertIn("OK: 2 members", r.stdout + r.stderr)

        self.dpkg("-r", *PACKAGES)
        with self.subTest("remove keeps the conffiles and the state"):
            self.assertFalse(os.path.exists(AGENDAD))
            self.assertTrue(os.path.exists("/etc/agendad/agendad.yaml"))
            self.assertTrue(os.path.exists("/var/lib/agendad/agendad.db"))

        self.dpkg("--purge", *PACKAGES)
        for pkg in PACKAGES:
            self.assertEqual(status(pkg), "not-installed")
        left = sorted(p for p in shipped - existed if os.path.lexists(p))
        self.assertEqual(left, [], "files of the package left after purge")
        for d in ("/etc/agendad", "/var/lib/agendad", "/var/lib/agendad-export"):
            self.assertFalse(os.path.lexists(d), d)
        new = sorted(snapshot() - before - ALLOWED_LEFT)
        self.assertEqual(new, [], "left after purge under " + ", ".join(SNAPSHOT_ROOTS))
        pwd.getpwnam("agendad")  # the user stays, as Debian leaves system users

    def agendad_processes(self):
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{pid}/exe") == AGENDAD:
                    found.append(int(pid))
            except OSError:
                pass
        return found

    def check_in_french_and_arabic(self):
        """The packaged catalogs, found from /usr/bin (fr_FR.UTF-8 and
        ar_MA.UTF-8 are generated by scripts/deps.sh --test)."""
        missing = "/nonexistent-agendad-config"
        for lang, words in (("fr_FR.UTF-8", ": erreur : ce fichier manque : "),
                            ("ar_MA.UTF-8", ": خطأ: هذا الملف مفقود: ")):
            env = {k: v for k, v in os.environ.items()
                   if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "AGENDAD_LOCALEDIR")}
            env["LANG"] = lang
            r = run([AGENDAD, "check", "--config", missing], env=env)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(missing + "/agendad.yaml" + ("\u2069" if lang[:2] == "ar" else "") +
                          words, r.stderr)

    def check_sync_config(self):
        """A member with a feed makes the sync plugin's check look for
        agendad-ical-import: found where the package put it, and missing
        where it is not (so that the check does look)."""
        os.chmod(self.tmp, 0o755)  # for the agendad user
        for name, settings, ok in (("sync-default", "{}", True),
                                   ("sync-elsewhere", "{helper: /nonexistent/agendad-ical-import}",
                                    False)):
            conf = os.path.join(self.tmp, name)
            shutil.copytree("/etc/agendad", conf)
            with open(os.path.join(conf, "members.yaml"), "a", encoding="utf-8") as f:
                f.write("    feed_url: \"https://calendar.example.org/rabat.ics\"\n")
            with open(os.path.join(conf, "agendad.yaml"), "a", encoding="utf-8") as f:
                f.write(f"    sync: {settings}\n")
            r = self.as_agendad(AGENDAD, "check", "--config", conf)
            self.assertEqual(r.returncode == 0, ok, r.stdout + r.stderr)
            if not ok:
                self.assertIn("cannot start the calendar parser", r.stdout + r.stderr)

    def serve_as_agendad(self):
        port = free_port()
        log = open(os.path.join(self.tmp, "daemon.log"), "wb")
        self.addCleanup(log.close)
        user = pwd.getpwnam("agendad")
        proc = subprocess.Popen([AGENDAD, "run", "--config", "/etc/agendad",
                                 "--listen", f"127.0.0.1:{port}"],
                                stdout=log, stderr=log, user=user.pw_uid, group=user.pw_gid,
                                extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin"})
        try:
            status, body = None, b""
            deadline = time.monotonic() + 30
            while status != 200 and time.monotonic() < deadline and proc.poll() is None:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    c.request("GET", "/feeds/network.ics")
                    resp = c.getresponse()
                    status, body = resp.status, resp.read()
                    c.close()
                except OSError:
                    time.sleep(0.1)
            with open(log.name, encoding="utf-8", errors="replace") as f:
                text = f.read()
            self.assertEqual(status, 200, text)
            self.assertTrue(body.startswith(b"BEGIN:VCALENDAR"), body[:200])
            # The network's name of /etc/agendad/agendad.yaml, in the default language.
            self.assertIn("الشبكة المغربية".encode(), body.replace(b"\r\n ", b""))
            self.assertIn("1 of 1 plugins running", text)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0)

    def verify_units(self):
        paths = [os.path.join(UNIT_DIR, u) for u in UNITS]
        r = run([ANALYZE, "verify", *paths])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")
        for unit in ("agendad.service", "agendad-export.service"):
            r = run([ANALYZE, "security", "--offline=yes", "--no-pager",
                     os.path.join(UNIT_DIR, unit)])
            m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)
        with open(os.path.join(UNIT_DIR, "agendad.service"), encoding="utf-8") as f:
            text = f.read()
        self.assertIn("\nUser=agendad\n", text)
        self.assertIn(f"\nExecStart={AGENDAD} run ", text)

    def build_plugin_against_dev(self):
        r = run(["pkg-config", "--variable=plugindir", "agendad-plugin"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), self.libdir + "/agendad/plugins")
        cflags = run(["pkg-config", "--cflags", "agendad-plugin"]).stdout.split()
        out = os.path.join(self.tmp, "oot")
        os.makedirs(out, exist_ok=True)
        src = shutil.copy(os.path.join(SOURCE_DIR, "tests", "outoftree", "hello.c"), out)
        r = run(["cc", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
                 *cflags, src, "-o", os.path.join(out, "hello.so")])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        conf = os.path.join(self.tmp, "oot-config")
        shutil.copytree("/etc/agendad", conf)
        with open(os.path.join(conf, "agendad.yaml"), encoding="utf-8") as f:
            text = f.read().replace("    agenda: {}\n", "    hello: {}\n")
        with open(os.path.join(conf, "agendad.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
        r = run([AGENDAD, "check", "--config", conf, "--plugin-dir", out])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class PackageSourcesTest(unittest.TestCase):
    """What needs no build: debian/ agrees with the project."""

    def read(self, *parts):
        with open(os.path.join(SOURCE_DIR, *parts), encoding="utf-8") as f:
            return f.read()

    def test_changelog_version_is_the_projects(self):
        version = re.search(r"project\(agendad VERSION (\S+)", self.read("CMakeLists.txt")).group(1)
        first = self.read("debian", "changelog").splitlines()[0]
        self.assertRegex(first, rf"^agendad \({re.escape(version)}\) ")

    def test_build_depends_has_every_build_package_of_deps_sh(self):
        deps = self.read("scripts", "deps.sh")
        build_pkgs = set(re.search(r'BUILD_PKGS="([^"]*)"', deps).group(1).split())
        control = self.read("debian", "control")
        field = re.search(r"^Build-Depends:\n((?: .*\n)+)", control, re.M).group(1)
        build_depends = {re.match(r"\s*([a-z0-9.+-]+)", x).group(1)
                         for x in field.split(",") if x.strip()}
        # build-essential is implied by policy; dh drives cmake with make, not
        # ninja; pkgconf is the pkg-config of Debian 12 (pkg-config is its
        # transitional package).
        implied = {"build-essential", "ninja-build", "pkg-config"}
        self.assertEqual(sorted(build_pkgs - implied - build_depends), [])
        self.assertIn("pkgconf", build_depends)

    def test_minimal_config_checks_with_the_builds_plugins(self):
        """/etc/agendad of the package: one member, no events."""
        bin_ = os.environ.get("AGENDAD_BIN")
        plugins = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR")
        if not bin_ or not plugins:
            self.skipTest("needs the build (AGENDAD_BIN, AGENDAD_PLUGIN_BUILD_DIR)")
        conf = os.path.join(SOURCE_DIR, "debian", "config")
        r = run([bin_, "check", "--config", conf, "--plugin-dir", plugins])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK: 1 members, 4 categories, 0 events", r.stdout + r.stderr)
        self.assertFalse(os.path.exists(os.path.join(conf, "events")))


if __name__ == "__main__":
    unittest.main()
