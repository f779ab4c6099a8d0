"""Third-party parsers read the served feeds as subscribers' apps would:
ical.js (Thunderbird), python3-icalendar with recurring-ical-events
(khal/vdirsyncer's stack). Instants must match the system tzdata whatever
zone rules those parsers carry."""

import datetime as dt
import json
import os
import shutil
import subprocess
import unittest

import icalendar
import recurring_ical_events

from harness import SOURCE_DIR, Daemon

UTC = dt.timezone.utc
CAFE = "openness-cafe"
COMPAT = os.path.join(SOURCE_DIR, "tests", "compat")


def npm_dir():
    """ical.js installed from the lock file into the build tree, once."""
    dest = os.path.join(os.environ.get("AGENDAD_BUILD_DIR", "/tmp"), "compat")
    if not os.path.exists(os.path.join(dest, "node_modules", "ical.js")):
        os.makedirs(dest, exist_ok=True)
        for f in ("package.json", "package-lock.json", "icaljs_dump.mjs"):
            shutil.copy(os.path.join(COMPAT, f), dest)
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=dest,
                       check=True, timeout=300)
    shutil.copy(os.path.join(COMPAT, "icaljs_dump.mjs"), dest)
    return dest


class ParsersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()
        status, _, cls.body = cls.d.get("/feeds/network.ics?lang=fr")
        assert status == 200
        cls.path = os.path.join(cls.d.tmp, "network.ics")
        with open(cls.path, "wb") as f:
            f.write(cls.body)
        cls.cafe_uid = next(str(e["UID"]) for e in
                            icalendar.Calendar.from_ical(cls.body).walk("VEVENT")
                            if "RRULE" in e and "RELATED-TO" not in e)

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_icaljs_sees_the_same_instants(self):
        dest = npm_dir()
        out = subprocess.run(["node", os.path.join(dest, "icaljs_dump.mjs"), self.path],
                             cwd=dest, capture_output=True, text=True, check=True, timeout=60)
        cal = json.loads(out.stdout)
        events = {e["uid"]: e for e in cal["events"]}
        self.assertTrue(cal["calname"])
        ws = events["2023-03-07-fes-meknes-cocreation-workshop"]
        self.assertEqual(ws["start"], "2023-03-07T08:30:00Z")
        slots = sorted(e["start"] for e in cal["events"]
                       if e["related"] == "2023-03-07-fes-meknes-cocreation-workshop")
        self.assertIn("2023-03-07T10:10:00Z", slots)  # the 11:10 workshop
        self.assertEqual(events["2026-03-01-access-to-information-webinar"]["start"],
                         "2026-03-01T09:30:00Z")
        self.assertEqual(events["2027-02-general-assembly"]["start"], "2027-02-10")
        self.assertEqual(events["2027-02-general-assembly"]["end"], "2027-02-12")
        cafe = events[self.cafe_uid]
        self.assertEqual(cafe["occurrences"][0], "2026-10-06T10:00:00Z")
        self.assertNotIn("2027-08-03T10:00:00Z", cafe["occurrences"])
        self.assertIn("2027-09-07T10:00:00Z", cafe["occurrences"])

    def test_recurring_ical_events_expansion(self):
        cal = icalendar.Calendar.from_ical(self.body)
        occ = [e for e in recurring_ical_events.of(cal).between((2026, 9, 1), (2028, 1, 1))
               if str(e["UID"]) == self.cafe_uid]
        starts = [e["DTSTART"].dt.astimezone(UTC) for e in occ]
        self.assertEqual(starts[0], dt.datetime(2026, 10, 6, 10, 0, tzinfo=UTC))
        self.assertNotIn(dt.datetime(2027, 8, 3, 10, 0, tzinfo=UTC), starts)
        self.assertEqual(len(starts), 14)  # first Tuesdays Oct 2026..Dec 2027, minus one

    def test_vtimezone_is_named_and_cut(self):
        cal = icalendar.Calendar.from_ical(self.body)
        tzs = cal.walk("VTIMEZONE")
        self.assertEqual([str(t["TZID"]) for t in tzs], ["Africa/Casablanca"])
        starts = [c["DTSTART"].dt.year for c in tzs[0].subcomponents]
        self.assertGreaterEqual(min(starts), 2025, "cut to the span of the series")


if __name__ == "__main__":
    unittest.main()
