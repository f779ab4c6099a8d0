"""sync.private_data: a member's ATTENDEEs and VALARMs are republished only
when the admin asks for it, and then only in that member's own feed opened
with its token (never the public member feed, the network or category feeds,
nor `agendad export`)."""

import datetime
import os
import sqlite3
import tempfile
import time
import unittest

import icalendar

from harness import Daemon
from test_sync import CRASH_MARKER, Peer, calendar, vevent, write_sync_config, year

MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    feed_url: %(base)s/source.ics
    sync:
      interval: 1s
      network: true
  - id: rabat
    kind: region
    name: {fr: "Région Rabat-Salé-Kénitra"}
    feed_url: %(base)s/source.ics
    sync:
      interval: 1s
      network: true
      categories: [digitalisation]
      private_data: %(private)s
"""

PRIVATE = (
    "ATTENDEE;CN=\"Agent, Fès\";PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:agent@fes.example\r\n"
    "ATTENDEE;PARTSTAT=TENTATIVE:mailto:autre@fes.example\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Dans 15 min\r\n"
    "END:VALARM\r\n"
    "BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER;RELATED=END:PT5M\r\nEND:VALARM\r\n"
    "BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-P1D\r\nSUMMARY:mail\r\nDESCRIPTION:mail\r\n"
    "ATTENDEE:mailto:boss@fes.example\r\nEND:VALARM\r\n")


def source_feed(partstat="ACCEPTED"):
    y = year()
    return calendar(vevent("meeting@fes.example", "Réunion", f":{y}0310T093000Z",
                           f":{y}0310T123000Z", PRIVATE.replace("ACCEPTED", partstat)))


def only_event(text):
    cal = icalendar.Calendar.from_ical(text)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1, text
    return events[0]


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


class SyncPrivateDataTest(unittest.TestCase):
    def setUp(self):
        os.environ["AGENDAD_IMPORT_CRASH_MARKER"] = CRASH_MARKER
        self.peer = Peer()
        self.peer.write("source.ics", source_feed())
        self.cfg = tempfile.mkdtemp(prefix="agendad-sync-private-")
        self.write_config("true")
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def tearDown(self):
        self.daemon.cleanup()
        self.peer.stop()

    def write_config(self, private):
        write_sync_config(self.cfg, MEMBERS_YAML % {"base": self.peer.base, "private": private})
        if hasattr(self, "daemon"):
            with open(self.daemon.path("members.yaml"), "w") as f:
                f.write(MEMBERS_YAML % {"base": self.peer.base, "private": private})

    def feed(self, path):
        code, _, body = self.daemon.get(path)
        self.assertEqual(code, 200, body)
        return body.decode()

    def token(self, member):
        out = self.daemon.run_cli("token", member, check=True).stdout
        return out.strip().split("token=")[1]

    def wait_imported(self, member, path=None, needle=None):
        path = path or f"/feeds/members/{member}.ics"
        needle = needle or f"UID:{member}:meeting@fes.example"
        for _ in range(300):
            if needle in self.feed(path):
                return
            time.sleep(0.1)
        self.fail(f"{needle} never in {path}:\n{self.daemon.log_text()}")

    def stored(self, sql):
        db = sqlite3.connect(self.daemon.state)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def test_stripped_by_default_everywhere(self):
        self.wait_imported("fes-meknes")
        token = self.token("fes-meknes")
        for path in ("/feeds/members/fes-meknes.ics", f"/feeds/members/fes-meknes.ics?token={token}",
                     "/feeds/network.ics", "/feeds/categories/digitalisation.ics"):
            text = self.feed(path)
            self.assertNotIn("ATTENDEE", text, path)
            self.assertNotIn("fes.example", text.replace("meeting@fes.example", ""), path)
            self.assertNotIn("BEGIN:VALARM", text, path)
        self.assertEqual(self.stored("SELECT count(*) FROM imported_attendees WHERE uid LIKE "
                                     "'fes-meknes:%'"), [(0,)])

    def test_published_in_the_members_token_feed_only(self):
        self.wait_imported("rabat")
        token = self.token("rabat")
        ev = only_event(self.feed(f"/feeds/members/rabat.ics?token={token}"))
        attendees = as_list(ev.get("ATTENDEE"))
        self.assertEqual([str(a) for a in attendees],
                         ["mailto:agent@fes.example", "mailto:autre@fes.example"])
        self.assertEqual(attendees[0].params["CN"], "Agent, Fès")
        self.assertEqual(attendees[0].params["PARTSTAT"], "ACCEPTED")
        self.assertEqual(attendees[0].params["ROLE"], "CHAIR")
        self.assertEqual(attendees[1].params["PARTSTAT"], "TENTATIVE")
        alarms = ev.walk("VALARM")
        self.assertEqual([str(a["ACTION"]) for a in alarms], ["DISPLAY", "AUDIO"],
                         "EMAIL alarms are never republished")
        self.assertEqual(alarms[0].decoded("TRIGGER"), datetime.timedelta(minutes=-15))
        self.assertEqual(str(alarms[0]["DESCRIPTION"]), "Dans 15 min")
        self.assertEqual(alarms[1].decoded("TRIGGER"), datetime.timedelta(minutes=5))
        self.assertEqual(alarms[1]["TRIGGER"].params["RELATED"], "END")
        # Anyone else's view of the same event has none of it.
        for path in ("/feeds/members/rabat.ics", "/feeds/network.ics",
                     "/feeds/categories/digitalisation.ics", "/events/rabat:meeting@fes.example.ics"):
            text = self.feed(path)
            self.assertIn("rabat:meeting@fes.example", text, path)
            self.assertNotIn("ATTENDEE", text, path)
            self.assertNotIn("BEGIN:VALARM", text, path)
        out = os.path.join(self.daemon.tmp, "export")
        self.daemon.run_cli("export", "--out", out, check=True)
        with open(os.path.join(out, "feeds/members/rabat.ics"), encoding="utf-8") as f:
            self.assertNotIn("ATTENDEE", f.read())

    def test_source_changes_update_and_unchanged_pulls_write_nothing(self):
        self.wait_imported("rabat")
        token = self.token("rabat")
        path = f"/feeds/members/rabat.ics?token={token}"
        self.assertEqual(int(only_event(self.feed(path))["SEQUENCE"]), 0)
        self.peer.write("source.ics", source_feed(partstat="DECLINED"))
        self.wait_imported("rabat", path, "PARTSTAT=DECLINED")
        ev = only_event(self.feed(path))
        self.assertEqual(int(ev["SEQUENCE"]), 1, "a changed PARTSTAT is an edit")
        # Pulls every second from here on: the same data must compare equal,
        # attendees and alarms included, or SEQUENCE would climb.
        time.sleep(2.5)
        self.assertEqual(int(only_event(self.feed(path))["SEQUENCE"]), 1)

    def test_turning_it_off_hides_it_at_once_and_strips_it_from_the_store(self):
        self.wait_imported("rabat")
        token = self.token("rabat")
        path = f"/feeds/members/rabat.ics?token={token}"
        self.assertIn("ATTENDEE", self.feed(path))
        self.write_config("false")
        self.daemon.reload()
        for _ in range(300):
            if not self.stored("SELECT * FROM imported_attendees"):
                break
            time.sleep(0.1)
        self.assertEqual(self.stored("SELECT count(*) FROM imported_alarms"), [(0,)])
        self.assertNotIn("ATTENDEE", self.feed(path))
        self.assertNotIn("BEGIN:VALARM", self.feed(path))


if __name__ == "__main__":
    unittest.main()
