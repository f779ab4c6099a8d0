"""Reminders by email, end to end: the real daemon on a clock file, the
reminder-email plugin, a real SMTP server on loopback."""

import os
import signal
import time
import unittest

from icalendar import Calendar

from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

DAY = 86400


class EmailReminders(unittest.TestCase):
    def setUp(self):
        self.smtp = SmtpPeer().start()
        self.addCleanup(self.smtp.stop)

    def daemon(self, **kw):
        d = ReminderDaemon(self.smtp.port, **kw)
        self.addCleanup(d.cleanup)
        return d

    def test_message_headers_parts_and_ics(self):
        d = self.daemon(event={})
        d.set_time(EVENT_START_UTC - DAY - 600)
        d.start()
        self.assertEqual(self.smtp.messages(), [])
        d.set_time(EVENT_START_UTC - DAY + 1)
        msgs = self.smtp.wait(3)
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 3, "one message per address, once")
        by_rcpt = {env[1]: msg for env, msg in msgs}
        self.assertEqual(set(by_rcpt), {"fes@members.test", "agadir@members.test",
                                        "agadir2@members.test"})
        for env, msg in msgs:
            self.assertEqual(len(env), 2, "never a shared recipient list")
            self.assertEqual(env[0], "agenda@rmcto.test")
            self.assertEqual(msg["To"], env[1])
            self.assertTrue(msg["Message-ID"].startswith("<reminder-"))
            self.assertIsNotNone(msg["Date"])
        fes, agadir = by_rcpt["fes@members.test"], by_rcpt["agadir@members.test"]
        with open(os.path.join(self.smtp.dir, "1.eml"), "rb") as f:
            raw = f.read().decode("ascii")  # 8-bit clean: every header encoded
        subject = [line for line in raw.split("\r\n") if line.startswith("Subject:")][0]
        self.assertIn("=?utf-8?", subject.lower())
        self.assertIn("ورشة", str(fes["Subject"]))
        self.assertIn("Atelier", str(agadir["Subject"]))
        html = fes.get_body(("html",)).get_content()
        self.assertIn('dir="rtl"', html)
        self.assertIn("فاس", html)
        self.assertIn("http://agenda.test/events/workshop-1.ics", fes.get_body(("plain",))
                      .get_content())
        att = [p for p in fes.iter_attachments() if p.get_content_type() == "text/calendar"]
        self.assertEqual(len(att), 1)
        self.assertEqual(att[0].get_param("method"), "PUBLISH")
        cal = Calendar.from_ical(att[0].get_content())
        self.assertEqual(str(cal["METHOD"]), "PUBLISH")
        ev = [c for c in cal.walk("VEVENT")][0]
        self.assertEqual(str(ev["UID"]), "workshop-1")
        self.assertEqual(int(ev.decoded("DTSTART").timestamp()), EVENT_START_UTC)
        rows = d.wait_outbox(lambda r: all(x["state"] == "sent" for x in r) and len(r) == 3)
        self.assertEqual({x["kind"] for x in rows}, {"reminder"})

    def test_unknown_language_gets_both(self):
        d = self.daemon(event={"audience": "oujda"})
        d.set_time(EVENT_START_UTC - DAY - 600)
        d.start()
        d.set_time(EVENT_START_UTC - DAY + 1)
        msgs = self.smtp.wait(2)  # oujda and the host
        msg = {env[1]: m for env, m in msgs}["oujda@members.test"]
        self.assertIn("ورشة", str(msg["Subject"]))
        self.assertIn("Atelier", str(msg["Subject"]))

    def bilingual_event(self, default_language=None):
        """oujda (no language) and the host fes-meknes (ar) reminded 1 day
        ahead of an event with a description in both languages."""
        d = self.daemon(event={"audience": "oujda"})
        if default_language:
            d.write("agendad.yaml", d.read("agendad.yaml") + f"language: {default_language}\n")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml")
                + 'description: {ar: "يوم عمل حول الإعداد المشترك", '
                  'fr: "Une journée de travail sur la co-création"}\n')
        d.set_time(EVENT_START_UTC - DAY - 600)
        d.start()
        d.set_time(EVENT_START_UTC - DAY + 1)
        return {env[1]: m for env, m in self.smtp.wait(2)}

    @staticmethod
    def attached_event(msg):
        att = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
        return Calendar.from_ical(att[0].get_content()).walk("VEVENT")[0]

    def test_subject_and_first_line_say_how_far_ahead(self):
        msgs = self.bilingual_event()
        both, ar = msgs["oujda@members.test"], msgs["fes@members.test"]
        # Decoded from RFC 2047 by Python's email package: no mojibake.
        self.assertEqual(str(both["Subject"]),
                         "تذكير، بعد يوم واحد: ورشة الإعداد المشترك | "
                         "Rappel, dans 1 jour : Atelier de co-création")
        self.assertEqual(str(ar["Subject"]), "تذكير، بعد يوم واحد: ورشة الإعداد المشترك")
        text = both.get_body(("plain",)).get_content()
        self.assertTrue(text.startswith("ورشة الإعداد المشترك\n\nيبدأ هذا الحدث بعد يوم واحد.\n"),
                        text)
        self.assertIn("Atelier de co-création\n\nCet événement commence dans 1 jour.\n", text)
        self.assertNotIn("dans 1 jour", ar.get_body(("plain",)).get_content())

    def check_bilingual_ics(self, default, summary, top, own_description, subject_start):
        msgs = self.bilingual_event(default)
        both = msgs["oujda@members.test"]
        ev = self.attached_event(both)
        self.assertEqual(str(ev["SUMMARY"]), summary)
        self.assertEqual(str(ev["DESCRIPTION"]), f"{top}\n\n{own_description}")
        # The mail opens in the same language.
        self.assertTrue(str(both["Subject"]).startswith(subject_start), str(both["Subject"]))
        # A member with a language gets its own alone.
        ev = self.attached_event(msgs["fes@members.test"])
        self.assertEqual(str(ev["SUMMARY"]), "ورشة الإعداد المشترك")
        self.assertEqual(str(ev["DESCRIPTION"]), "يوم عمل حول الإعداد المشترك")

    def test_bilingual_ics_default_arabic(self):
        self.check_bilingual_ics(
            None, "ورشة الإعداد المشترك",
            "Atelier de co-création\nUne journée de travail sur la co-création",
            "يوم عمل حول الإعداد المشترك", "تذكير، بعد يوم واحد: ")

    def test_bilingual_ics_default_french(self):
        self.check_bilingual_ics(
            "fr", "Atelier de co-création",
            "ورشة الإعداد المشترك\nيوم عمل حول الإعداد المشترك",
            "Une journée de travail sur la co-création", "Rappel, dans 1 jour : ")

    def test_move_reschedules(self):
        d = self.daemon(event={"audience": "fes-meknes"})
        d.set_time(EVENT_START_UTC - 3 * DAY)
        d.start()
        d.set_event(start="2026-04-12T09:00", end="2026-04-12T12:00", audience="fes-meknes")
        d.reload()
        change = self.smtp.wait(1)[0][1]  # a confirmed event moved: its audience is told
        self.assertIn("تعديل", str(change["Subject"]))
        d.set_time(EVENT_START_UTC - DAY + 1)
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 1, "the old time is not reminded")
        d.set_time(EVENT_START_UTC + DAY + 1)
        msgs = self.smtp.wait(2)
        self.assertIn("تذكير", str(msgs[1][1]["Subject"]))
        self.assertIn("2026-04-12", msgs[1][1].get_body(("plain",)).get_content())

    def test_cancel_sends_notice_and_change_sends_update(self):
        d = self.daemon(event={"audience": "fes-meknes", "leads": "2d, 1d"})
        d.set_time(EVENT_START_UTC - 2 * DAY + 1)
        d.start()
        self.smtp.wait(1)
        d.set_event(audience="fes-meknes", leads="2d, 1d", place_ar="مكناس", place_fr="Meknès")
        d.reload()
        msgs = self.smtp.wait(2)
        change = msgs[1][1]
        self.assertIn("تعديل", str(change["Subject"]))
        cal = Calendar.from_ical([p for p in change.iter_attachments()][0].get_content())
        ev = cal.walk("VEVENT")[0]
        self.assertEqual(int(ev["SEQUENCE"]), 1)
        self.assertIn("مكناس", str(ev["LOCATION"]))
        d.set_event(audience="fes-meknes", leads="2d, 1d", status="cancelled",
                    place_ar="مكناس", place_fr="Meknès")
        d.reload()
        msgs = self.smtp.wait(3)
        cancel = msgs[2][1]
        att = [p for p in cancel.iter_attachments()][0]
        self.assertEqual(att.get_param("method"), "CANCEL")
        cal = Calendar.from_ical(att.get_content())
        self.assertEqual(str(cal["METHOD"]), "CANCEL")
        d.set_time(EVENT_START_UTC - DAY + 1)
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 3, "the 1d reminder was dropped")
        rows = d.outbox()
        self.assertEqual(sorted(r["kind"] for r in rows), ["cancel", "change", "reminder"])

    def test_kill_9_mid_batch_then_restart_delivers_each_once(self):
        members = "".join(
            f"  - id: m{i:02d}\n    kind: region\n    name: {{fr: \"M{i}\"}}\n"
            f"    emails: [m{i:02d}@members.test]\n" for i in range(40))
        # The server answers 5 messages, then holds the rest unanswered: the
        # kill lands with 35 sends in flight, whatever the machine's speed.
        port = self.smtp.port
        self.smtp.stop()
        self.smtp = SmtpPeer(port, hold_after=5).start()
        d = self.daemon(event={"audience": "network"})
        d.write("members.yaml", "members:\n" + members)
        d.set_event(audience="network")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml").replace(
            "host: fes-meknes", "host: m00"))
        d.set_time(EVENT_START_UTC - DAY - 600)
        d.start()
        d.set_time(EVENT_START_UTC - DAY + 1)
        self.smtp.wait(5)
        d.wait_outbox(lambda r: len(r) == 40 and sum(x["state"] == "sent" for x in r) == 5)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        d.proc = None
        self.smtp.stop()
        self.smtp = SmtpPeer(port, dir=self.smtp.dir).start()
        self.assertEqual(len(self.smtp.messages()), 5)
        d.start()
        self.smtp.wait(40)
        d.wait_outbox(lambda r: len(r) == 40 and all(x["state"] == "sent" for x in r))
        rcpts = [env[1] for env, _ in self.smtp.messages()]
        self.assertEqual(sorted(rcpts), sorted(f"m{i:02d}@members.test" for i in range(40)),
                         "each reminder exactly once as seen by the server")

    def test_smtp_down_then_up_delivers_after_retries(self):
        port = self.smtp.port
        self.smtp.stop()
        d = self.daemon(event={"audience": "fes-meknes"}, attempts=6)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        d.wait_outbox(lambda r: len(r) == 1 and r[0]["attempts"] >= 1)
        self.smtp = SmtpPeer(port).start()
        d.set_time(EVENT_START_UTC - DAY + 1 + 3600)
        self.smtp.wait(1)
        rows = d.wait_outbox(lambda r: r[0]["state"] == "sent")
        self.assertGreaterEqual(rows[0]["attempts"], 2)

    def test_due_during_downtime_beyond_grace_is_missed(self):
        d = self.daemon(event={"audience": "fes-meknes", "leads": "2d, 1d"})
        d.set_time(EVENT_START_UTC - 3 * DAY)
        d.start()
        d.stop()
        d.set_time(EVENT_START_UTC - DAY + 600)  # 2d due 1 day ago; 1d due 10 min ago
        d.start()
        self.smtp.wait(1)
        rows = d.wait_outbox(lambda r: len(r) == 2 and {x["state"] for x in r} == {"sent", "missed"})
        self.assertIn("missed", d.log_text())
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 1)

    def test_failed_reminder_can_be_retried_from_the_cli(self):
        port = self.smtp.port
        self.smtp.stop()
        d = self.daemon(event={"audience": "fes-meknes"}, attempts=1)
        d.set_time(EVENT_START_UTC - DAY + 1)
        d.start()
        rows = d.wait_outbox(lambda r: len(r) == 1 and r[0]["state"] == "failed")
        self.assertTrue(rows[0]["error"])
        self.smtp = SmtpPeer(port).start()
        r = d.run_cli("reminders", "--retry", rows[0]["id"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.smtp.wait(1)
        d.wait_outbox(lambda r: r[0]["state"] == "sent")


if __name__ == "__main__":
    unittest.main()
