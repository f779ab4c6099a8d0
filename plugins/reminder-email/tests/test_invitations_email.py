"""Invitations by email, end to end (issue 14): the real daemon on a clock
file, the reminder-email plugin, a real SMTP server (aiosmtpd) on loopback.
The MIME structure Outlook, Gmail, Thunderbird and Apple Mail read as an
invitation; METHOD:REQUEST as python3-icalendar and ical.js read it; an
updated REQUEST on a change of time but not of wording; CANCEL on a
cancellation; once per address under kill -9; the missing-minutes reminder."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from icalendar import Calendar

from harness import SOURCE_DIR
from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

DAY = 86400
ORGANIZER = "rsvp@rmcto.test"
TAG = re.compile(r"^rsvp\+[a-z0-9-]+@rmcto\.test$")
COMPAT = os.path.join(SOURCE_DIR, "tests", "compat")


def icaljs_dir():
    """ical.js from tests/compat's lock file, installed into the build tree
    once (as test_parsers does); None, with the reason, when npm cannot."""
    dest = os.path.join(os.environ.get("AGENDAD_BUILD_DIR", "/tmp"), "compat")
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node and npm are not installed"
    if not os.path.exists(os.path.join(dest, "node_modules", "ical.js")):
        os.makedirs(dest, exist_ok=True)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(COMPAT, f), dest)
        try:
            subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=dest,
                           check=True, timeout=300, capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            return None, f"npm ci failed (no registry?): {e}"
    shutil.copy(os.path.join(COMPAT, "icaljs_itip.mjs"), dest)
    return dest, None


def calendar_of(msg):
    """The text/calendar alternative of an invitation."""
    alt = msg.get_payload()[0]
    parts = [p for p in alt.get_payload() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in alt.get_payload()]
    return parts[0]


class Invitations(unittest.TestCase):
    def setUp(self):
        self.smtp = SmtpPeer().start()
        self.addCleanup(lambda: self.smtp.stop())

    def daemon(self, members=None, **event):
        d = ReminderDaemon(self.smtp.port)
        self.addCleanup(d.cleanup)
        d.write("agendad.yaml", d.read("agendad.yaml") +
                f"invitations:\n  organizer: {ORGANIZER}\ndocuments:\n  minutes_due: 15d\n")
        if members:
            d.write("members.yaml", members)
        self.set_event(d, **event)
        return d

    @staticmethod
    def set_event(d, invitations=True, extra="", **event):
        d.set_event(**event)
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") +
                ("invitations: true\n" if invitations else "") + extra)

    def invites(self, d, count):
        msgs = self.smtp.wait(count)
        return {env[1]: m for env, m in msgs}

    def test_mime_structure_and_request(self):
        d = self.daemon()
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        by_rcpt = self.invites(d, 3)  # the host and agadir's two addresses
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 3, "one invitation per address, once")
        self.assertEqual(set(by_rcpt), {"fes@members.test", "agadir@members.test",
                                        "agadir2@members.test"})
        rows = d.wait_outbox(lambda r: len(r) == 3 and all(x["state"] == "sent" for x in r))
        self.assertEqual({x["kind"] for x in rows}, {"invite"})
        for env, msg in self.smtp.messages():
            self.assertEqual(len(env), 2, "never a shared recipient list")
            self.assertEqual(env[0], "agenda@rmcto.test", "the envelope stays the plugin's")
            self.assertEqual(msg["Content-Class"], "urn:content-classes:calendarmessage")
            self.assertEqual(msg["From"].addresses[0].addr_spec, ORGANIZER)
            self.assertRegex(msg["Reply-To"].addresses[0].addr_spec, TAG)
            # multipart/mixed { multipart/alternative { plain, html, calendar }, invite.ics }
            self.assertEqual(msg.get_content_type(), "multipart/mixed")
            alt, att = msg.get_payload()
            self.assertEqual(alt.get_content_type(), "multipart/alternative")
            self.assertEqual([p.get_content_type() for p in alt.get_payload()],
                             ["text/plain", "text/html", "text/calendar"])
            cal_part = alt.get_payload()[2]
            self.assertEqual(cal_part.get_param("method"), "REQUEST")
            self.assertEqual(cal_part.get_param("charset").lower(), "utf-8")
            self.assertIsNone(cal_part.get_filename())
            self.assertEqual(att.get_content_type(), "application/ics")
            self.assertEqual(att.get_param("name"), "invite.ics")
            self.assertEqual(att.get_content_disposition(), "attachment")
            self.assertEqual(att.get_filename(), "invite.ics")
            self.assertEqual(att.get_content(), cal_part.get_content().encode()
                             if isinstance(att.get_content(), bytes) else cal_part.get_content())
        fes = by_rcpt["fes@members.test"]
        cal = Calendar.from_ical(calendar_of(fes).get_content())
        self.assertEqual(str(cal["METHOD"]), "REQUEST")
        ev = cal.walk("VEVENT")[0]
        self.assertEqual(str(ev["UID"]), "workshop-1")
        self.assertEqual(int(ev["SEQUENCE"]), 0)
        self.assertEqual(int(ev.decoded("DTSTART").timestamp()), EVENT_START_UTC)
        org = ev["ORGANIZER"]
        self.assertRegex(str(org), r"^mailto:rsvp\+[a-z0-9-]+@rmcto\.test$")
        self.assertEqual(str(org).removeprefix("mailto:"),
                         fes["Reply-To"].addresses[0].addr_spec)
        self.assertEqual(org.params["CN"], "الشبكة المغربية للجماعات الترابية المنفتحة")
        att = ev["ATTENDEE"]
        self.assertNotIsInstance(att, list, "one ATTENDEE: the addressee alone")
        self.assertEqual(str(att), "mailto:fes@members.test")
        self.assertEqual(att.params["RSVP"], "TRUE")
        self.assertEqual(att.params["PARTSTAT"], "NEEDS-ACTION")
        self.assertEqual(att.params["ROLE"], "REQ-PARTICIPANT")
        self.assertEqual(att.params["CN"], "جهة فاس مكناس")
        # Each address has its own tag, its own links.
        tags = {m["Reply-To"].addresses[0].addr_spec for m in by_rcpt.values()}
        self.assertEqual(len(tags), 3)
        # The body: the member's language, the one-click links, RTL Arabic.
        text = fes.get_body(("plain",)).get_content().replace("\r\n", "\n")
        links = re.findall(r"(?m)^(قبول|ربما|اعتذار): (http://agenda\.test/rsvp/\S+)$", text)
        self.assertEqual([w for w, _ in links], ["قبول", "ربما", "اعتذار"])
        self.assertEqual(len({u for _, u in links}), 3)
        html = fes.get_body(("html",)).get_content()
        self.assertIn('dir="rtl"', html)
        for _, url in links:
            self.assertIn(f'href="{url}"', html)
        agadir = by_rcpt["agadir@members.test"]
        self.assertIn("Invitation", str(agadir["Subject"]))
        text = agadir.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.assertRegex(text, r"(?m)^Accepter: http://agenda\.test/rsvp/\S+$")
        self.assertRegex(text, r"(?m)^Peut-être: http://agenda\.test/rsvp/\S+$")
        self.assertRegex(text, r"(?m)^Refuser: http://agenda\.test/rsvp/\S+$")
        self.assertEqual(Calendar.from_ical(calendar_of(agadir).get_content())
                         .walk("VEVENT")[0]["ATTENDEE"].params["CN"], "Commune d'Agadir")
        # No address of an invitee in the log: a hash names it.
        d.wait_log("invite of workshop-1 sent to")
        log = d.log_text()
        for addr in by_rcpt:
            self.assertNotIn(addr, log)
        # The Message-ID names the outbox row: the same on a retry.
        ids = {r["id"] for r in rows}
        for _, msg in self.smtp.messages():
            m = re.fullmatch(r"<reminder-(\d+)-invite-0@rmcto\.test>", msg["Message-ID"])
            self.assertTrue(m, msg["Message-ID"])
            self.assertIn(m.group(1), ids)

    def test_icaljs_reads_the_request(self):
        dest, why = icaljs_dir()
        if not dest:
            self.skipTest(f"ical.js unavailable: {why}")
        d = self.daemon(audience="oujda")
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        msg = self.invites(d, 2)["oujda@members.test"]
        path = os.path.join(d.tmp, "invite.ics")
        with open(path, "w", encoding="utf-8") as f:
            f.write(calendar_of(msg).get_content())
        out = subprocess.run(["node", os.path.join(dest, "icaljs_itip.mjs"), path], cwd=dest,
                             capture_output=True, text=True, check=True, timeout=60)
        cal = json.loads(out.stdout)
        self.assertEqual(cal["method"], "REQUEST")
        (ev,) = cal["events"]
        self.assertEqual((ev["uid"], ev["sequence"]), ("workshop-1", 0))
        self.assertEqual(ev["start"], "2026-04-10T08:00:00Z")
        self.assertRegex(ev["organizer"]["value"], r"^mailto:rsvp\+[a-z0-9-]+@rmcto\.test$")
        self.assertTrue(ev["organizer"]["cn"])
        self.assertEqual(ev["attendees"], [{"value": "mailto:oujda@members.test",
                                            "cn": "وجدة", "role": "REQ-PARTICIPANT",
                                            "partstat": "NEEDS-ACTION", "rsvp": "TRUE"}])
        # oujda has no language: the mail is in both.
        self.assertIn("Invitation", str(msg["Subject"]))
        self.assertIn("دعوة", str(msg["Subject"]))

    def test_time_change_updates_wording_does_not_and_cancel_cancels(self):
        d = self.daemon(audience="fes-meknes")
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        self.smtp.wait(1)
        # Wording: the event's SEQUENCE moves, no new invitation.
        d.write("events/workshop.yaml", d.read("events/workshop.yaml").replace(
            "Atelier de co-création", "Atelier de co-construction"))
        d.reload()
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 1, "a wording edit re-invites no one")
        status, _, body = d.get("/events/workshop-1.ics")
        self.assertEqual(int(Calendar.from_ical(body).walk("VEVENT")[0]["SEQUENCE"]), 1)
        # Time: an updated REQUEST at the event's new SEQUENCE; no change
        # notice besides it by email (the invitation says it).
        self.set_event(d, audience="fes-meknes", start="2026-04-10T10:00",
                       end="2026-04-10T13:00")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml").replace(
            "Atelier de co-création", "Atelier de co-construction"))
        d.reload()
        msgs = self.smtp.wait(2)
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 2)
        upd = msgs[1][1]
        cal_part = calendar_of(upd)
        self.assertEqual(cal_part.get_param("method"), "REQUEST")
        ev = Calendar.from_ical(cal_part.get_content()).walk("VEVENT")[0]
        self.assertEqual(int(ev["SEQUENCE"]), 2)
        self.assertEqual(int(ev.decoded("DTSTART").timestamp()), EVENT_START_UTC + 3600)
        self.assertNotEqual(upd["Message-ID"], msgs[0][1]["Message-ID"])
        # Place: online_url counts as a place.
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") +
                "online_url: \"https://meet.example.org/ws\"\n")
        d.reload()
        msgs = self.smtp.wait(3)
        ev = Calendar.from_ical(calendar_of(msgs[2][1]).get_content()).walk("VEVENT")[0]
        self.assertEqual(int(ev["SEQUENCE"]), 3)
        # Cancelled: METHOD:CANCEL with the attendee.
        d.write("events/workshop.yaml", d.read("events/workshop.yaml").replace(
            "status: confirmed", "status: cancelled"))
        d.reload()
        msgs = self.smtp.wait(4)
        cancel = msgs[3][1]
        self.assertEqual(cancel["Content-Class"], "urn:content-classes:calendarmessage")
        cal_part = calendar_of(cancel)
        self.assertEqual(cal_part.get_param("method"), "CANCEL")
        cal = Calendar.from_ical(cal_part.get_content())
        self.assertEqual(str(cal["METHOD"]), "CANCEL")
        ev = cal.walk("VEVENT")[0]
        self.assertEqual(str(ev["STATUS"]), "CANCELLED")
        self.assertEqual(int(ev["SEQUENCE"]), 4)
        self.assertEqual(str(ev["ATTENDEE"]), "mailto:fes@members.test")
        self.assertRegex(str(ev["ORGANIZER"]), r"^mailto:rsvp\+")
        self.assertIn("إلغاء الدعوة", str(cancel["Subject"]))
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 4)
        rows = d.outbox()
        self.assertEqual(sorted(r["kind"] for r in rows),
                         ["invite", "invite", "invite", "invite-cancel"])
        # A restart changes nothing: each was sent once.
        d.stop()
        d.start()
        time.sleep(1.5)
        self.assertEqual(len(self.smtp.messages()), 4)

    def test_a_series_is_one_invitation(self):
        d = self.daemon(audience="fes-meknes",
                        extra="recurrence:\n  rule: \"FREQ=WEEKLY;COUNT=4\"\n")
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        msg = self.smtp.wait(1)[0][1]
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 1)
        ev = Calendar.from_ical(calendar_of(msg).get_content()).walk("VEVENT")[0]
        self.assertEqual(ev["RRULE"].to_ical(), b"FREQ=WEEKLY;COUNT=4")

    def test_removed_from_the_audience_gets_a_cancel(self):
        d = self.daemon()
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        self.smtp.wait(3)
        self.set_event(d, audience="fes-meknes")
        d.reload()
        msgs = self.smtp.wait(5)
        later = {env[1]: m for env, m in msgs[3:]}
        self.assertEqual(set(later), {"agadir@members.test", "agadir2@members.test"})
        for m in later.values():
            self.assertEqual(calendar_of(m).get_param("method"), "CANCEL")
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 5, "fes keeps its invitation as it was")

    def test_kill_9_mid_batch_then_restart_invites_each_once(self):
        members = "members:\n" + "".join(
            f"  - id: m{i:02d}\n    kind: region\n    name: {{fr: \"M{i}\"}}\n"
            f"    emails: [m{i:02d}@members.test]\n" for i in range(40))
        port = self.smtp.port
        self.smtp.stop()
        self.smtp = SmtpPeer(port, hold_after=5).start()
        d = self.daemon(members=members, audience="network")
        d.write("events/workshop.yaml", d.read("events/workshop.yaml").replace(
            "host: fes-meknes", "host: m00"))
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
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
        time.sleep(0.5)
        rcpts = [env[1] for env, _ in self.smtp.messages()]
        self.assertEqual(sorted(rcpts), sorted(f"m{i:02d}@members.test" for i in range(40)),
                         "each invitation exactly once as seen by the server")

    def test_without_the_email_channel_invitations_wait(self):
        d = self.daemon(audience="fes-meknes")
        d.write("agendad.yaml", d.read("agendad.yaml").replace("    reminder-email:",
                                                               "    reminder-email-off:"))
        d.write("agendad.yaml", re.sub(r"(?s)plugins:.*?\n(?=reminders:|invitations:)",
                                       "", d.read("agendad.yaml")))
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        d.wait_log('invitations wait: no plugin provides the "email" channel')
        rows = d.wait_outbox(lambda r: len(r) == 1 and r[0]["attempts"] == 0)
        self.assertEqual(rows[0]["state"], "pending")


class MissingMinutes(unittest.TestCase):
    def setUp(self):
        self.smtp = SmtpPeer().start()
        self.addCleanup(lambda: self.smtp.stop())

    def daemon(self, documents=""):
        d = ReminderDaemon(self.smtp.port, event={"audience": "agadir"})
        self.addCleanup(d.cleanup)
        d.write("agendad.yaml", d.read("agendad.yaml") + "documents:\n  minutes_due: 15d\n")
        if documents:
            d.write("events/workshop.yaml", d.read("events/workshop.yaml") + documents)
        return d

    def test_host_is_reminded_then_again_at_twice_the_delay(self):
        end = EVENT_START_UTC + 3 * 3600
        d = self.daemon()
        d.set_time(end + 15 * DAY - 60)
        d.start()
        time.sleep(0.5)
        self.assertEqual(self.smtp.messages(), [])
        d.set_time(end + 15 * DAY + 1)
        msgs = self.smtp.wait(1)
        env, msg = msgs[0]
        self.assertEqual(env[1], "fes@members.test", "the host, not the audience")
        self.assertIn("محضر", str(msg["Subject"]))
        self.assertIn("kind: minutes", msg.get_body(("plain",)).get_content())
        d.set_time(end + 20 * DAY)
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 1, "once")
        d.stop()
        d.set_time(end + 30 * DAY + 1)
        d.start()
        self.smtp.wait(2)
        time.sleep(0.5)
        self.assertEqual(len(self.smtp.messages()), 2, "again at twice the delay, once")
        rows = d.outbox()
        self.assertEqual([r["kind"] for r in rows], ["minutes", "minutes"])

    def test_minutes_listed_stop_the_reminder(self):
        end = EVENT_START_UTC + 3 * 3600
        d = self.daemon(documents="documents:\n  - title: {fr: CR}\n    kind: minutes\n"
                                  "    published: 2026-04-12\n"
                                  "    url: \"https://fes.example.org/cr.pdf\"\n")
        d.set_time(end + 15 * DAY - 60)
        d.start()
        d.set_time(end + 15 * DAY + 1)
        time.sleep(1.5)
        d.set_time(end + 30 * DAY + 1)
        time.sleep(1.5)
        self.assertEqual(self.smtp.messages(), [])


if __name__ == "__main__":
    unittest.main()
