"""The sync plugin's CalDAV push against Debian's Radicale, started by the
test on a free loopback port with its own config and htpasswd file.
Radicale logs every request it receives (level info), so that a test can
count the writes the daemon sent."""

import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Daemon, free_port

PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
HELPER = os.path.join(PLUGIN_BUILD_DIR, "agendad-ical-import")
# One CalDAV user per member that pushes; each owns /USER/cal/.
PASSWORDS = {"fes": "s3cret-fes-pass", "ifrane": "s3cret-ifrane-pass",
             "azrou": "s3cret-azrou-pass"}
PASSWORD = PASSWORDS["fes"]

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
    sync:
      helper: %(helper)s
      connect_timeout: 2s
      timeout: 5s
"""

# fes-meknes is a region; ifrane and azrou are communes: a members-only
# event for kind:commune is theirs, not the region's.
MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    sync:
      interval: 1h
      caldav:
        url: %(base)s/fes/cal/
        username: fes
        password_file: %(cfg)s/fes.secret
        network_wins: %(network_wins)s
  - id: oriental
    kind: region
    name: {fr: "Région de l'Oriental"}
  - id: ifrane
    kind: commune
    region: fes-meknes
    name: {fr: "Commune d'Ifrane"}
    sync:
      interval: 1h
      caldav:
        url: %(base)s/ifrane/cal/
        username: ifrane
        password_file: %(cfg)s/ifrane.secret
  - id: azrou
    kind: commune
    region: fes-meknes
    name: {fr: "Commune d'Azrou"}
    sync:
      interval: 1h
      caldav:
        url: %(base)s/azrou/cal/
        username: azrou
        password_file: %(cfg)s/azrou.secret
"""


def events_yaml(title_a="Atelier A", status_b="confirmed", extra=""):
    y = time.gmtime().tm_year + 1
    return f"""\
- uid: push-a
  title: {{fr: "{title_a}"}}
  start: {y}-03-10T09:30
  end: {y}-03-10T12:30
  host: fes-meknes
  audience: [fes-meknes]
- uid: push-b
  title: {{fr: "Formation B"}}
  start: {y}-04-10T09:30
  end: {y}-04-10T12:30
  host: oriental
  audience: [network]
  status: {status_b}
- uid: push-other
  title: {{fr: "Pas pour Fès"}}
  start: {y}-05-10T09:30
  end: {y}-05-10T12:30
  host: oriental
  audience: [oriental]
- uid: push-communes
  title: {{fr: "Réunion des communes"}}
  start: {y}-06-10T09:30
  end: {y}-06-10T12:30
  host: oriental
  audience: ["kind:commune"]
  visibility: members
- uid: push-ifrane
  title: {{fr: "Pour Ifrane seulement"}}
  start: {y}-06-11T09:30
  end: {y}-06-11T12:30
  host: oriental
  audience: [ifrane]
  visibility: members
""" + extra


def event_c(y=None):
    y = y or time.gmtime().tm_year + 1
    return f"""\
- uid: push-c
  title: {{fr: "Atelier C"}}
  start: {y}-07-10T09:30
  end: {y}-07-10T12:30
  host: fes-meknes
  audience: [fes-meknes]
"""


def calendar_text(uid, summary):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//member//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


class Radicale:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agendad-radicale-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write("".join(f"{u}:{p}\n" for u, p in PASSWORDS.items()))
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""[server]
hosts = 127.0.0.1:{self.port}
[auth]
type = htpasswd
htpasswd_filename = {self.dir}/users
htpasswd_encryption = plain
[storage]
filesystem_folder = {self.dir}/collections
[rights]
type = owner_only
[logging]
level = info
""")
        self.log_path = os.path.join(self.dir, "log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config",
                                      os.path.join(self.dir, "config")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.request("OPTIONS", "/")[0] < 500:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for user in PASSWORDS:
            status = self.request("MKCALENDAR", f"/{user}/cal/", user=user)[0]
            assert status == 201, status

    def request(self, method, path, body=None, headers=None, user="fes"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            auth = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
            h = {"Authorization": "Basic " + auth}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode()
        finally:
            conn.close()

    def put(self, path, body, user="fes"):
        status = self.request("PUT", path, body, {"Content-Type": "text/calendar"}, user)[0]
        assert status in (201, 204), status

    def get(self, path, user="fes"):
        return self.request("GET", path, user=user)

    def requests_from_agendad(self, method, path):
        """How many METHOD requests for path the daemon sent (its
        User-Agent is agendad/VERSION; the test's own requests have none)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return len(re.findall(rf"{method} request for '{re.escape(path)}' received from "
                              r"\S+ using 'agendad/", text))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PushTest(unittest.TestCase):
    def setUp(self):
        self.dav = Radicale()
        self.cfg = tempfile.mkdtemp(prefix="agendad-push-cfg-")
        for user, password in PASSWORDS.items():
            with open(os.path.join(self.cfg, f"{user}.secret"), "w") as f:
                f.write(password + "\n")
        with open(os.path.join(self.cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"plugins": PLUGIN_BUILD_DIR, "helper": HELPER})
        with open(os.path.join(self.cfg, "members.yaml"), "w") as f:
            f.write(self.members_yaml())
        os.mkdir(os.path.join(self.cfg, "events"))
        with open(os.path.join(self.cfg, "events", "push.yaml"), "w") as f:
            f.write(events_yaml())
        # A resource of the member's own, which agendad must never touch.
        self.dav.put("/fes/cal/own.ics", calendar_text("own", "Mine"))
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def tearDown(self):
        self.daemon.cleanup()
        self.dav.stop()
        shutil.rmtree(self.cfg, ignore_errors=True)

    def members_yaml(self, network_wins=False):
        # The daemon reads the password files where they are: in self.cfg.
        return MEMBERS_YAML % {"base": self.dav.base, "cfg": self.cfg,
                               "network_wins": "true" if network_wins else "false"}

    def push_status(self, member="fes-meknes"):
        code, _, body = self.daemon.get("/plugins/sync/status")
        self.assertEqual(code, 200)
        for m in json.loads(body)["members"]:
            if m["member"] == member:
                return m["push"]
        self.fail(f"no status for {member}: {body!r}")

    def wait_push(self, pred, timeout=30, member="fes-meknes"):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.push_status(member)
            if not st["busy"] and pred(st):
                return st
            time.sleep(0.1)
        self.fail(f"push status never matched: {st}\n{self.daemon.log_text()}")

    def push_again(self, member="fes-meknes"):
        """One more push (a reload pushes every member), waited for: its
        attempt time is later than the last one's (times are in seconds)."""
        before = self.push_status(member)["last_attempt"]
        time.sleep(1.1)
        self.daemon.reload()
        return self.wait_push(lambda s: s["last_attempt"] != before, member=member)

    def restart(self):
        """Stopped and started again on the same state database; waits for
        the push of the start."""
        before = self.push_status()["last_attempt"]
        self.daemon.stop()
        time.sleep(1.1)  # a later push time than the last one
        self.daemon.start()
        return self.wait_push(lambda s: s["last_attempt"] != before)

    def edit_events(self, **kw):
        self.daemon.write("events/push.yaml", events_yaml(**kw))

    def edit_events_and_wait(self, **kw):
        """An edit, and the push its reload brings, waited for."""
        before = self.push_status()["last_attempt"]
        time.sleep(1.1)
        self.edit_events(**kw)
        return self.wait_push(lambda s: s["last_attempt"] != before)

    def conflict_lines(self, uid):
        return [line for line in self.daemon.log_text().splitlines()
                if "conflict:" in line and f" {uid} " in line]

    def sync_status(self):
        out = self.daemon.run_cli("sync", "status")
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_create_update_cancel_and_conflict(self):
        st = self.wait_push(lambda s: s["pushed"] == 2)
        self.assertIsNone(st["last_error"])
        code, _, a = self.dav.get("/fes/cal/agendad-push-a.ics")
        self.assertEqual(code, 200)
        self.assertIn("UID:push-a", a)
        self.assertIn("Atelier A", a)
        self.assertEqual(self.dav.get("/fes/cal/agendad-push-b.ics")[0], 200)
        self.assertEqual(self.dav.get("/fes/cal/agendad-push-other.ics")[0], 404)

        # Update.
        self.edit_events(title_a="Atelier A renommé")
        self.wait_push(lambda s: s["pushed"] == 3)
        self.assertIn("Atelier A renommé", self.dav.get("/fes/cal/agendad-push-a.ics")[2])

        # Cancel: deleted from the member's calendar.
        self.edit_events(title_a="Atelier A renommé", status_b="cancelled")
        self.wait_push(lambda s: s["deleted"] == 1)
        self.assertEqual(self.dav.get("/fes/cal/agendad-push-b.ics")[0], 404)

        # The member edits push-a in their calendar; the network's next edit
        # must not overwrite it.
        _, _, body = self.dav.get("/fes/cal/agendad-push-a.ics")
        self.dav.put("/fes/cal/agendad-push-a.ics",
                     body.replace("Atelier A renommé", "Édité par la commune"))
        self.edit_events(title_a="Atelier A v3", status_b="cancelled")
        st = self.wait_push(lambda s: s["conflicts"] == 1)
        self.assertIn("conflict", st["last_error"])
        self.assertIn("push-a", st["last_error"])
        self.assertIn("Édité par la commune", self.dav.get("/fes/cal/agendad-push-a.ics")[2])

        # The member's own resource is untouched; the password never logged.
        self.assertIn("Mine", self.dav.get("/fes/cal/own.ics")[2])
        for password in PASSWORDS.values():
            self.assertNotIn(password, self.daemon.log_text())
        self.assertIn("1 conflicts", self.sync_status())

    # ------------------------------------------------- members-only events

    def test_members_only_events_go_to_invited_members_only(self):
        """A member's own CalDAV collection is private to it: a members-only
        event goes there when the member is invited to it (audience or
        host), never into another member's collection."""
        for member in ("fes-meknes", "ifrane", "azrou"):
            st = self.wait_push(lambda s: s["last_success"], member=member)
            self.assertIsNone(st["last_error"], member)

        def has(user, uid):
            code, _, body = self.dav.get(f"/{user}/cal/agendad-{uid}.ics", user=user)
            self.assertIn(code, (200, 404))
            if code == 200:
                self.assertIn(f"UID:{uid}", body)
                self.assertIn("CLASS:PRIVATE", body)
            return code == 200

        # kind:commune invites both communes, not the region.
        self.assertTrue(has("ifrane", "push-communes"))
        self.assertTrue(has("azrou", "push-communes"))
        self.assertFalse(has("fes", "push-communes"))
        # An audience of one member: that member alone.
        self.assertTrue(has("ifrane", "push-ifrane"))
        self.assertFalse(has("azrou", "push-ifrane"))
        self.assertFalse(has("fes", "push-ifrane"))
        self.assertEqual(self.push_status("ifrane")["pushed"], 3)  # with push-b
        self.assertEqual(self.push_status("azrou")["pushed"], 2)
        self.assertEqual(self.push_status("fes-meknes")["pushed"], 2)
        # Members-only events stay out of the public event pages.
        self.assertEqual(self.daemon.get("/events/push-communes.ics")[0], 404)

    # --------------------------------------------------------- conflicts

    def member_edits_push_a(self, title):
        _, _, body = self.dav.get("/fes/cal/agendad-push-a.ics")
        self.assertIn("UID:push-a", body)
        self.dav.put("/fes/cal/agendad-push-a.ics",
                     re.sub(r"(?m)^SUMMARY([;:].*?):.*$", rf"SUMMARY\1:{title}", body, count=1))

    def test_one_edit_is_one_conflict_until_the_member_deletes_its_copy(self):
        self.wait_push(lambda s: s["pushed"] == 2)
        path = "/fes/cal/agendad-push-a.ics"
        self.assertEqual(self.dav.requests_from_agendad("PUT", path), 1)
        self.member_edits_push_a("Édité par la commune")

        # The network's newer version meets the member's edit: one conflict.
        self.edit_events(title_a="Atelier A v2")
        st = self.wait_push(lambda s: s["conflicts"] >= 1)
        self.assertEqual(self.dav.requests_from_agendad("PUT", path), 2)  # its If-Match one
        # Later pushes, and a still newer version, neither count it again
        # nor send the stale write again.
        self.push_again()
        self.edit_events_and_wait(title_a="Atelier A v3")
        for _ in range(3):
            st = self.push_again()
        self.assertEqual(st["conflicts"], 1, self.daemon.log_text())
        self.assertEqual(len(self.conflict_lines("push-a")), 1, self.daemon.log_text())
        self.assertEqual(self.dav.requests_from_agendad("PUT", path), 2)
        self.assertIn("Édité par la commune", self.dav.get(path)[2])
        self.assertEqual(st["waiting"], ["push-a"])
        self.assertIsNone(st["resolved"])
        # A push that meets only the conflict already recorded succeeds.
        self.assertIsNone(st["last_error"])
        self.assertIsNotNone(st["last_success"])
        out = self.sync_status()
        self.assertIn("1 conflicts", out)
        self.assertIn("  waiting:      push-a (edited in the member's calendar: the network's "
                      "newer version waits until network_wins is set or the member deletes "
                      "its copy)\n", out)
        # The daemon remembers it across a restart.
        st = self.restart()
        self.assertEqual(st["waiting"], ["push-a"])
        self.assertIsNone(st["last_error"])
        self.assertEqual(st["conflicts"], 1)
        self.assertEqual(len(self.conflict_lines("push-a")), 1, self.daemon.log_text())
        self.assertEqual(self.dav.requests_from_agendad("PUT", path), 2)

        # The member deletes its copy: the network's version goes in.
        self.assertEqual(self.dav.request("DELETE", path)[0], 200)
        st = self.push_again()
        self.assertEqual(st["waiting"], [])
        self.assertEqual(st["conflicts"], 1)
        self.assertIn("push-a", st["resolved"])
        self.assertIn("deleted", st["resolved"])
        self.assertIn("Atelier A v3", self.dav.get(path)[2])
        out = self.sync_status()
        self.assertNotIn("waiting:", out)
        self.assertIn("  resolved:     push-a: the member deleted its edited copy; the "
                      "network's version was written\n", out)
        # Resolved: the next network edit is an ordinary update.
        self.edit_events(title_a="Atelier A v4")
        st = self.wait_push(lambda s: s["pushed"] == 4)
        self.assertIn("Atelier A v4", self.dav.get(path)[2])
        self.assertEqual(st["conflicts"], 1)
        self.assertIsNone(st["last_error"])

    def test_a_conflict_resolved_by_network_wins(self):
        self.wait_push(lambda s: s["pushed"] == 2)
        path = "/fes/cal/agendad-push-a.ics"
        self.member_edits_push_a("Édité par la commune")
        self.edit_events(title_a="Atelier A v2")
        st = self.wait_push(lambda s: s["conflicts"] == 1)
        self.push_again()
        self.assertEqual(self.push_status()["waiting"], ["push-a"])
        # A second edit by the member is another version of theirs: one more
        # conflict, once.
        self.member_edits_push_a("Réédité par la commune")
        self.push_again()
        st = self.push_again()
        self.assertEqual(st["conflicts"], 2)
        self.assertEqual(len(self.conflict_lines("push-a")), 2, self.daemon.log_text())
        self.assertIn("Réédité par la commune", self.dav.get(path)[2])

        # The admin sets network_wins: the network's version replaces theirs.
        self.daemon.write("members.yaml", self.members_yaml(network_wins=True))
        st = self.wait_push(lambda s: s["waiting"] == [])
        self.assertIn("push-a", st["resolved"])
        self.assertIn("network_wins", st["resolved"])
        body = self.dav.get(path)[2]
        self.assertIn("Atelier A v2", body)
        self.assertNotIn("commune", body)
        self.assertEqual(st["conflicts"], 2)
        self.assertIn("  resolved:     push-a: network_wins: the network's version replaced "
                      "the member's edit\n", self.sync_status())

    # -------------------------------------------------------- name clash

    def test_a_name_clash_is_recorded_once_and_the_others_still_push(self):
        self.wait_push(lambda s: s["pushed"] == 2)
        # A resource of the member's, named as agendad would name push-c.
        clash = "/fes/cal/agendad-push-c.ics"
        self.dav.put(clash, calendar_text("member-own-c", "Celui de la commune"))
        self.daemon.write("events/push.yaml",
                          events_yaml(title_a="Atelier A v2", extra=event_c()))
        st = self.wait_push(lambda s: s["pushed"] == 3)
        self.assertIn("Atelier A v2", self.dav.get("/fes/cal/agendad-push-a.ics")[2])
        self.assertEqual(st["clashes"], ["push-c"])
        # Later pushes go on: push-a's next version is written, the clash is
        # not written again, not logged again, and the pushes succeed.
        self.daemon.write("events/push.yaml",
                          events_yaml(title_a="Atelier A v3", extra=event_c()))
        self.wait_push(lambda s: s["pushed"] == 4)
        for _ in range(2):
            st = self.push_again()
        self.assertIn("Atelier A v3", self.dav.get("/fes/cal/agendad-push-a.ics")[2])
        self.assertEqual(self.dav.requests_from_agendad("PUT", clash), 1)
        clash_lines = [line for line in self.daemon.log_text().splitlines()
                       if "push-c" in line and "did not create" in line]
        self.assertEqual(len(clash_lines), 1, self.daemon.log_text())
        self.assertIsNone(st["last_error"])
        self.assertIsNotNone(st["last_success"])
        self.assertEqual(st["clashes"], ["push-c"])
        self.assertIn("Celui de la commune", self.dav.get(clash)[2])
        out = self.sync_status()
        self.assertNotIn("push success: never", out)
        self.assertIn("  push error:   none\n", out)
        self.assertIn("  name clash:   push-c (agendad-push-c.ics exists in the member's "
                      "calendar and agendad did not create it: left alone)\n", out)
        st = self.restart()
        self.assertEqual(st["clashes"], ["push-c"])
        self.assertIsNone(st["last_error"])
        self.assertEqual(self.dav.requests_from_agendad("PUT", clash), 1)

        # The member removes its resource: agendad's takes the name.
        self.assertEqual(self.dav.request("DELETE", clash)[0], 200)
        st = self.push_again()
        self.assertEqual(st["clashes"], [])
        self.assertIn("Atelier C", self.dav.get(clash)[2])
        self.assertNotIn("name clash:", self.sync_status())


if __name__ == "__main__":
    unittest.main()
