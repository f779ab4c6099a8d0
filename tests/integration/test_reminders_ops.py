"""Reminders as a service: SIGTERM lets deliveries in flight finish (or
leaves them pending at the stop deadline), and /metrics counts reminders by
state, channel and outcome."""

import http.server
import os
import json
import re
import threading
import time
import unittest

from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

DAY = 86400


class SlowReceiver(http.server.BaseHTTPRequestHandler):
    delay = 0.0
    release = threading.Event()  # set: stop waiting at once
    got = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        SlowReceiver.release.wait(SlowReceiver.delay)
        SlowReceiver.got.append(self.headers["X-Agendad-Delivery"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} never happened")


class Shutdown(unittest.TestCase):
    def setUp(self):
        SlowReceiver.got = []
        SlowReceiver.release = threading.Event()
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.addCleanup(self.http.server_close)
        self.addCleanup(self.http.shutdown)
        self.addCleanup(lambda: SlowReceiver.release.set())

    def webhook_daemon(self, smtp_port):
        secret = os.path.join(self.http_dir(), "secret")
        with open(secret, "w") as f:
            f.write("s3cret\n")
        extra = (f"    reminder-webhook:\n"
                 f"      url: \"http://127.0.0.1:{self.http.server_address[1]}/hook\"\n"
                 f"      secret_file: \"{secret}\"\n      timeout: 60\n")
        d = ReminderDaemon(smtp_port, extra_plugins=extra)
        self.addCleanup(d.cleanup)
        d.set_event(audience="fes-meknes", channels="webhook")
        return d

    def http_dir(self):
        import tempfile
        return tempfile.mkdtemp(prefix="agendad-hook-")

    def restart_sends_nothing_more(self, d, count):
        d.start()
        d.wait_log("scheduled (occurrence, lead time)")
        time.sleep(1)  # twenty wakes of the file clock
        rows = d.outbox()
        self.assertEqual([(r["state"], r["attempts"]) for r in rows], [("sent", 1)])
        self.assertEqual(count(), 1, "not sent again after the restart")
        self.assertEqual(d.stop(), 0)

    def test_sigterm_finishes_smtp_delivery_in_flight(self):
        smtp = SmtpPeer(delay=2).start()
        self.addCleanup(smtp.stop)
        d = ReminderDaemon(smtp.port, event={"audience": "fes-meknes"})
        self.addCleanup(d.cleanup)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        wait_for(lambda: os.path.exists(os.path.join(smtp.dir, "1.started")),
                 what="the message reaching the SMTP peer")
        self.assertEqual(d.stop(), 0, d.log_text())
        self.assertIn("reminders: waiting for 1 deliveries in flight", d.log_text())
        self.assertEqual(len(smtp.messages()), 1)
        self.assertEqual([(r["state"], r["attempts"]) for r in d.outbox()], [("sent", 1)])
        self.restart_sends_nothing_more(d, lambda: len(smtp.messages()))

    def test_sigterm_waits_for_webhook_in_flight(self):
        SlowReceiver.delay = 2
        d = self.webhook_daemon(1)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        d.wait_log("reminders: 1 scheduled")
        wait_for(lambda: d.outbox() and d.outbox()[0]["state"] == "pending", what="queueing")
        time.sleep(0.5)  # the POST is on its way
        self.assertEqual(d.stop(), 0, d.log_text())
        self.assertIn("reminders: waiting for 1 deliveries in flight", d.log_text())
        self.assertEqual(len(SlowReceiver.got), 1)
        self.assertEqual([(r["state"], r["attempts"]) for r in d.outbox()], [("sent", 1)])
        self.restart_sends_nothing_more(d, lambda: len(SlowReceiver.got))

    def test_stop_deadline_leaves_delivery_pending(self):
        SlowReceiver.delay = 60
        d = self.webhook_daemon(1)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        wait_for(lambda: d.outbox() and d.outbox()[0]["state"] == "pending", what="queueing")
        time.sleep(0.5)
        started = time.monotonic()
        self.assertEqual(d.stop(timeout=30), 0, d.log_text())
        self.assertGreater(time.monotonic() - started, 5, "waited for the delivery")
        self.assertIn("1 deliveries still in flight at the stop deadline stay pending",
                      d.log_text())
        self.assertEqual([(r["state"], r["attempts"]) for r in d.outbox()], [("pending", 0)])
        SlowReceiver.delay = 0
        SlowReceiver.release.set()  # the first POST's handler ends, its client long gone
        wait_for(lambda: len(SlowReceiver.got) == 1, what="the first handler")
        got_before = len(SlowReceiver.got)
        d.start()
        d.wait_outbox(lambda r: r[0]["state"] == "sent")
        wait_for(lambda: len(SlowReceiver.got) == got_before + 1, what="the resend")
        self.assertEqual(d.stop(), 0)


class Metrics(unittest.TestCase):
    def test_reminders_by_state_channel_and_outcome(self):
        smtp = SmtpPeer().start()
        self.addCleanup(smtp.stop)
        d = ReminderDaemon(smtp.port)
        self.addCleanup(d.cleanup)
        # agadir has two addresses; "nope" is a channel no plugin provides.
        d.set_event(audience="fes-meknes, agadir", channels="email, nope")
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        d.wait_outbox(lambda r: len(r) == 6 and all(x["state"] in ("sent", "failed") for x in r))
        text = d.get("/metrics")[2].decode()

        def value(series):
            m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
            self.assertIsNotNone(m, f"{series} not in /metrics:\n{text}")
            return float(m.group(1))

        self.assertEqual(value('agendad_reminders{state="sent",channel="email"}'), 3)
        self.assertEqual(value('agendad_reminders{state="pending",channel="email"}'), 0)
        self.assertEqual(value('agendad_reminders{state="missed",channel="email"}'), 0)
        self.assertEqual(value('agendad_reminders{state="failed",channel="nope"}'), 3)
        self.assertEqual(value(
            'agendad_reminder_deliveries_total{channel="email",outcome="delivered"}'), 3)
        self.assertEqual(value(
            'agendad_reminder_deliveries_total{channel="nope",outcome="failed_permanent"}'), 3)
        self.assertEqual(value('agendad_reminder_delay_seconds_count{channel="email"}'), 3)
        self.assertIn("# TYPE agendad_reminders gauge", text)
        # /status tells a person the same facts.
        status = json.loads(d.get("/status")[2])
        sent = [m for m in status["metrics"] if m["name"] == "agendad_reminders"
                and m["labels"] == {"state": "sent", "channel": "email"}]
        self.assertEqual([m["value"] for m in sent], [3])
        page = d.get("/status.html")[2].decode()
        self.assertIn("agendad_reminder_deliveries_total", page)
        self.assertIn("channel=nope, outcome=failed_permanent", page)


if __name__ == "__main__":
    unittest.main()
