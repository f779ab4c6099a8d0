"""The sync plugin's CalDAV push against Debian's Radicale, started by the
test on a free loopback port with its own config and htpasswd file."""

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Daemon, free_port

PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
HELPER = os.path.join(PLUGIN_BUILD_DIR, "agendad-ical-import")
PASSWORD = "s3cret-fes-pass"
AUTH = "Basic " + base64.b64encode(b"fes:" + PASSWORD.encode()).decode()

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

MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    sync:
      interval: 1h
      caldav:
        url: %(url)s
        username: fes
        password_file: %(pwfile)s
  - id: oriental
    kind: region
    name: {fr: "Région de l'Oriental"}
"""


def events_yaml(title_a="Atelier A", status_b="confirmed"):
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
"""


class Radicale:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agendad-radicale-")
        self.port = free_port()
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write(f"fes:{PASSWORD}\n")
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
level = warning
""")
        self.log = open(os.path.join(self.dir, "log"), "wb")
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
        status = self.request("MKCALENDAR", "/fes/cal/")[0]
        assert status == 201, status

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            h = {"Authorization": AUTH}
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode()
        finally:
            conn.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PushTest(unittest.TestCase):
    def setUp(self):
        self.dav = Radicale()
        self.cfg = tempfile.mkdtemp(prefix="agendad-push-cfg-")
        pwfile = os.path.join(self.cfg, "fes-caldav.secret")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        with open(os.path.join(self.cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"plugins": PLUGIN_BUILD_DIR, "helper": HELPER})
        with open(os.path.join(self.cfg, "members.yaml"), "w") as f:
            f.write(MEMBERS_YAML % {"url": f"http://127.0.0.1:{self.dav.port}/fes/cal/",
                                    "pwfile": pwfile})
        os.mkdir(os.path.join(self.cfg, "events"))
        with open(os.path.join(self.cfg, "events", "push.yaml"), "w") as f:
            f.write(events_yaml())
        # A resource of the member's own, which agendad must never touch.
        self.dav.request("PUT", "/fes/cal/own.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                         "PRODID:-//member//EN\r\nBEGIN:VEVENT\r\nUID:own\r\n"
                         "DTSTAMP:20250101T000000Z\r\nDTSTART:20270101T100000Z\r\n"
                         "SUMMARY:Mine\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                         {"Content-Type": "text/calendar"})
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def tearDown(self):
        self.daemon.cleanup()
        self.dav.stop()
        shutil.rmtree(self.cfg, ignore_errors=True)

    def push_status(self):
        code, _, body = self.daemon.get("/plugins/sync/status")
        self.assertEqual(code, 200)
        return json.loads(body)["members"][0]["push"]

    def wait_push(self, pred, timeout=30):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.push_status()
            if not st["busy"] and pred(st):
                return st
            time.sleep(0.1)
        self.fail(f"push status never matched: {st}\n{self.daemon.log_text()}")

    def edit_events(self, **kw):
        self.daemon.write("events/push.yaml", events_yaml(**kw))

    def test_create_update_cancel_and_conflict(self):
        st = self.wait_push(lambda s: s["pushed"] == 2)
        self.assertIsNone(st["last_error"])
        code, _, a = self.dav.request("GET", "/fes/cal/agendad-push-a.ics")
        self.assertEqual(code, 200)
        self.assertIn("UID:push-a", a)
        self.assertIn("Atelier A", a)
        self.assertEqual(self.dav.request("GET", "/fes/cal/agendad-push-b.ics")[0], 200)
        self.assertEqual(self.dav.request("GET", "/fes/cal/agendad-push-other.ics")[0], 404)

        # Update.
        self.edit_events(title_a="Atelier A renommé")
        self.wait_push(lambda s: s["pushed"] == 3)
        self.assertIn("Atelier A renommé", self.dav.request("GET", "/fes/cal/agendad-push-a.ics")[2])

        # Cancel: deleted from the member's calendar.
        self.edit_events(title_a="Atelier A renommé", status_b="cancelled")
        self.wait_push(lambda s: s["deleted"] == 1)
        self.assertEqual(self.dav.request("GET", "/fes/cal/agendad-push-b.ics")[0], 404)

        # The member edits push-a in their calendar; the network's next edit
        # must not overwrite it.
        _, _, body = self.dav.request("GET", "/fes/cal/agendad-push-a.ics")
        mine = body.replace("Atelier A renommé", "Édité par la commune")
        self.assertIn(self.dav.request("PUT", "/fes/cal/agendad-push-a.ics", mine,
                                       {"Content-Type": "text/calendar"})[0], (201, 204))
        self.edit_events(title_a="Atelier A v3", status_b="cancelled")
        st = self.wait_push(lambda s: s["conflicts"] == 1)
        self.assertIn("conflict", st["last_error"])
        self.assertIn("push-a", st["last_error"])
        self.assertIn("Édité par la commune",
                      self.dav.request("GET", "/fes/cal/agendad-push-a.ics")[2])

        # The member's own resource is untouched; the password never logged.
        self.assertIn("Mine", self.dav.request("GET", "/fes/cal/own.ics")[2])
        self.assertNotIn(PASSWORD, self.daemon.log_text())
        out = self.daemon.run_cli("sync", "status")
        self.assertIn("1 conflicts", out.stdout)


if __name__ == "__main__":
    unittest.main()
