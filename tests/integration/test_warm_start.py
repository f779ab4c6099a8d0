"""A restart (or reload) whose event files did not change takes the events
from the state database instead of parsing and reconciling them, and serves
the same bytes; a change made while the daemon was stopped is reconciled as
before: SEQUENCE moves, a removed event is published CANCELLED."""

import os
import re
import time
import unittest

import icalendar

from harness import Daemon

WEBINAR = "2026-03-01-access-to-information-webinar"
WEBINAR_FILE = "events/2026-03-01-ramadan-webinar.yaml"
ASSEMBLY = "2027-02-general-assembly"
REUSED = "taken from the state database"


def by_uid(body):
    cal = icalendar.Calendar.from_ical(body)
    return {str(c["UID"]): c for c in cal.walk("VEVENT")}


class WarmStartTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()

    def tearDown(self):
        self.d.cleanup()

    def network(self):
        status, hdrs, body = self.d.get("/feeds/network.ics")
        self.assertEqual(status, 200)
        return hdrs, body

    def restarted(self, change=None):
        self.assertEqual(self.d.stop(), 0)
        start = len(self.d.log_text())
        if change:
            change()
        self.d.start()
        return self.d.log_text()[start:]

    def test_unchanged_restart_reuses_the_store_and_serves_the_same_bytes(self):
        self.assertNotIn(REUSED, self.d.log_text(), "a fresh store has nothing to reuse")
        hdrs, body = self.network()
        log = self.restarted()
        self.assertIn(REUSED, log)
        hdrs2, body2 = self.network()
        self.assertEqual(body2, body)
        self.assertEqual(hdrs2["etag"], hdrs["etag"])
        # Rewriting a file with the same bytes changes nothing either.
        log = self.restarted(lambda: self.d.write(WEBINAR_FILE, self.d.read(WEBINAR_FILE)))
        self.assertIn(REUSED, log)
        self.assertEqual(self.network()[1], body)

    def test_edit_while_stopped_is_reconciled(self):
        before = by_uid(self.network()[1])
        time.sleep(1.1)  # LAST-MODIFIED has a one-second resolution
        text = self.d.read(WEBINAR_FILE)
        moved = text.replace("start: 2026-03-01T09:30", "start: 2026-03-01T10:30") \
                    .replace("end: 2026-03-01T11:00", "end: 2026-03-01T12:00")
        for a, b in (("09:30", "09:45"), ("09:45", "10:30"), ("10:30", "11:00")):
            moved = re.sub(rf'start: "{a}"\n(\s+)end: "{b}"',
                           rf'start: "{int(a[:2]) + 1:02}{a[2:]}"\n\1end: "{int(b[:2]) + 1:02}{b[2:]}"',
                           moved)
        self.assertNotEqual(moved, text)
        log = self.restarted(lambda: self.d.write(WEBINAR_FILE, moved))
        self.assertNotIn(REUSED, log)
        after = by_uid(self.network()[1])
        self.assertEqual(int(after[WEBINAR]["SEQUENCE"]), int(before[WEBINAR]["SEQUENCE"]) + 1)
        self.assertGreater(after[WEBINAR]["LAST-MODIFIED"].dt, before[WEBINAR]["LAST-MODIFIED"].dt)
        self.assertEqual(after[ASSEMBLY].to_ical(), before[ASSEMBLY].to_ical())
        # The next restart has nothing new: it reuses what that one stored.
        self.assertIn(REUSED, self.restarted())
        self.assertEqual(by_uid(self.network()[1])[WEBINAR].to_ical(), after[WEBINAR].to_ical())

    def test_file_removed_while_stopped_is_published_cancelled(self):
        before = by_uid(self.network()[1])
        rel = "events/2027-general-assembly.yaml"
        keep = "# Timed training" + self.d.read(rel).split("\n# Timed training")[1]
        log = self.restarted(lambda: self.d.write(rel, keep))
        self.assertNotIn(REUSED, log)
        gone = by_uid(self.network()[1])[ASSEMBLY]
        self.assertEqual(str(gone["STATUS"]), "CANCELLED")
        self.assertEqual(int(gone["SEQUENCE"]), int(before[ASSEMBLY]["SEQUENCE"]) + 1)

    def test_new_file_while_stopped_is_reconciled(self):
        event = ("uid: warm-start-new-event\ntitle: {fr: Nouvel atelier}\n"
                 "start: 2027-06-01T10:00\nend: 2027-06-01T12:00\nhost: fes-meknes\n")
        log = self.restarted(lambda: self.d.write("events/new.yaml", event))
        self.assertNotIn(REUSED, log)
        self.assertIn("warm-start-new-event", by_uid(self.network()[1]))
        os.remove(self.d.path("events/new.yaml"))
        self.assertNotIn(REUSED, self.restarted())
        self.assertEqual(str(by_uid(self.network()[1])["warm-start-new-event"]["STATUS"]),
                         "CANCELLED")

    def test_unchanged_reload_reuses_the_store(self):
        hdrs, body = self.network()
        log = self.d.reload("configuration loaded")
        self.assertIn(REUSED, log)
        self.assertRegex(log, r"0 added, 0 changed, \d+ unchanged, 0 removed")
        self.assertEqual(self.network()[1], body)


if __name__ == "__main__":
    unittest.main()
