"""The webhook and command channels end to end: a local HTTP receiver that
checks the HMAC signature, and a program that records what it was given."""

import hashlib
import hmac
import http.server
import json
import os
import stat
import threading
import time
import unittest

from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

DAY = 86400
SECRET = "s3cret-for-tests"


class Receiver(http.server.BaseHTTPRequestHandler):
    statuses = []
    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        status = Receiver.statuses.pop(0) if Receiver.statuses else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class Channels(unittest.TestCase):
    def setUp(self):
        Receiver.got = []
        Receiver.statuses = []
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.addCleanup(self.http.server_close)
        self.addCleanup(self.http.shutdown)
        self.smtp = SmtpPeer().start()
        self.addCleanup(self.smtp.stop)

    def daemon(self, channels, extra):
        d = ReminderDaemon(self.smtp.port, extra_plugins=extra, attempts=4)
        self.addCleanup(d.cleanup)
        d.set_event(audience="fes-meknes", channels=channels)
        return d

    def webhook_daemon(self):
        secret = os.path.join(self.smtp.dir, "secret")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        extra = (f"    reminder-webhook:\n"
                 f"      url: \"http://127.0.0.1:{self.http.server_address[1]}/hook\"\n"
                 f"      secret_file: \"{secret}\"\n      timeout: 5\n")
        return self.daemon("webhook", extra)

    def wait_posts(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while len(Receiver.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(len(Receiver.got), n)
        return Receiver.got

    def test_webhook_signed_json(self):
        d = self.webhook_daemon()
        d.set_time(EVENT_START_UTC - DAY - 60)
        d.start()
        d.set_time(EVENT_START_UTC - DAY + 1)
        headers, body = self.wait_posts(1)[0]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Agendad-Signature"], expected)
        self.assertEqual(headers["Content-Type"], "application/json")
        doc = json.loads(body)
        self.assertEqual(doc["kind"], "reminder")
        self.assertEqual(doc["event"]["uid"], "workshop-1")
        self.assertEqual(doc["occurrence_unix"], EVENT_START_UTC)
        self.assertEqual(doc["lead_seconds"], DAY)
        self.assertEqual(doc["recipient"], {"member": "fes-meknes", "address": "fes@members.test",
                                            "language": "ar", "both_languages": False})
        self.assertEqual(doc["urls"]["ics"], "http://agenda.test/events/workshop-1.ics")
        self.assertEqual(headers["X-Agendad-Delivery"], doc["id"])
        d.wait_outbox(lambda r: r[0]["state"] == "sent")

    def test_webhook_5xx_retried_4xx_permanent(self):
        Receiver.statuses = [503, 200]
        d = self.webhook_daemon()
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        self.wait_posts(1)
        # The outcome is committed after the receiver answered: move time only then.
        d.wait_outbox(lambda r: r[0]["attempts"] == 1 and r[0]["state"] == "pending")
        d.set_time(EVENT_START_UTC - DAY + 600)  # past the first backoff
        self.wait_posts(2)
        d.wait_outbox(lambda r: r[0]["state"] == "sent" and r[0]["attempts"] == 2)
        Receiver.statuses = [410]
        d.set_event(audience="fes-meknes", channels="webhook", leads="1d, 2h")
        d.reload()
        d.set_time(EVENT_START_UTC - 2 * 3600 + 1)
        d.wait_outbox(lambda r: any(x["state"] == "failed" and "410" in x["error"] for x in r))

    def test_command_env_and_stdin(self):
        out = os.path.join(self.smtp.dir, "cmd-out")
        prog = os.path.join(self.smtp.dir, "notify.py")
        with open(prog, "w") as f:
            f.write("#!/usr/bin/python3\nimport json, os, sys\n"
                    "doc = json.load(sys.stdin)\n"
                    f"open({out!r}, 'a').write(json.dumps({{'env': dict(os.environ), "
                    "'doc': doc}) + '\\n')\n"
                    "sys.exit(int(sys.argv[1]))\n")
        os.chmod(prog, stat.S_IRWXU)
        extra = (f"    reminder-command:\n      program: \"{prog}\"\n      args: [\"0\"]\n"
                 f"      timeout: 10\n")
        d = self.daemon("command", extra)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        d.wait_outbox(lambda r: len(r) == 1 and r[0]["state"] == "sent")
        with open(out) as f:
            rec = json.loads(f.readline())
        self.assertEqual(rec["env"]["AGENDAD_EVENT_UID"], "workshop-1")
        self.assertEqual(rec["env"]["AGENDAD_LEAD_SECONDS"], str(DAY))
        self.assertEqual(rec["env"]["AGENDAD_RECIPIENT_ADDRESS"], "fes@members.test")
        self.assertEqual(rec["doc"]["event"]["title"]["ar"], "ورشة الإعداد المشترك")
        self.assertNotIn("HOME", rec["env"], "a clean environment, no shell")


if __name__ == "__main__":
    unittest.main()
