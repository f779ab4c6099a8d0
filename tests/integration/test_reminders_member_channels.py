"""A channel per member (members.yaml `reminders.channels`): a member's own
channels replace the event's for its contacts, end to end with a real SMTP
peer and a local webhook receiver."""

import http.server
import json
import os
import threading
import time
import unittest

from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

DAY = 86400

MEMBERS = """
members:
  - id: fes-meknes
    kind: region
    name: {ar: "جهة فاس مكناس", fr: "Région Fès-Meknès"}
    language: ar
    emails: [fes@members.test]
  - id: agadir
    kind: region
    name: {fr: "Commune d'Agadir"}
    language: fr
    emails: [agadir@members.test]
    reminders: {channels: [webhook]}
  - id: oujda
    kind: region
    name: {fr: "Oujda"}
    reminders: {channels: [webhook]}
  - id: rabat
    kind: region
    name: {fr: "Rabat"}
    emails: [rabat@members.test]
    reminders: {channels: []}
"""


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        Receiver.got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class MemberChannels(unittest.TestCase):
    def setUp(self):
        Receiver.got = []
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.addCleanup(self.http.server_close)
        self.addCleanup(self.http.shutdown)
        self.smtp = SmtpPeer().start()
        self.addCleanup(self.smtp.stop)
        secret = os.path.join(self.smtp.dir, "secret")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        extra = (f"    reminder-webhook:\n"
                 f"      url: \"http://127.0.0.1:{self.http.server_address[1]}/hook\"\n"
                 f"      secret_file: \"{secret}\"\n      timeout: 5\n")
        self.d = ReminderDaemon(self.smtp.port, extra_plugins=extra)
        self.addCleanup(self.d.cleanup)
        self.d.write("members.yaml", MEMBERS)
        self.d.set_event(audience="fes-meknes, agadir, oujda, rabat", channels="email")

    def test_each_member_on_its_own_channels(self):
        d = self.d
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        rows = d.wait_outbox(lambda r: len(r) == 3 and all(x["state"] == "sent" for x in r))
        by_channel = sorted((x["channel"], x["recipient"]) for x in rows)
        self.assertEqual(by_channel, [("email", "fes@members.test"),
                                      ("webhook", "agadir@members.test"), ("webhook", "oujda")])
        msgs = self.smtp.wait(1)
        time.sleep(0.5)  # nothing else may follow
        self.assertEqual([env[1:] for env, _ in self.smtp.messages()], [["fes@members.test"]])
        got = sorted((p["recipient"]["member"], p["recipient"]["address"]) for p in Receiver.got)
        self.assertEqual(got, [("agadir", "agadir@members.test"), ("oujda", None)])
        self.assertEqual(msgs[0][1]["To"], "fes@members.test")

    def test_check_refuses_email_without_address(self):
        self.d.write("members.yaml", MEMBERS.replace("channels: [webhook]}\n  - id: rabat",
                                                     "channels: [email]}\n  - id: rabat"))
        r = self.d.run_cli("check")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("members.yaml:17:28:", r.stdout + r.stderr)
        self.assertIn("member \"oujda\" has no \"emails\" for the email channel",
                      r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
