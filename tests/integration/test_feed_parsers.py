"""Feeds built by core/src/feed*.c, read back by another parser.

The unit test tests/test_feed writes the feeds it builds to
$AGENDAD_FEED_SAMPLES; this test runs it into a directory of its own, then
parses every sample with python3-icalendar and checks the instants a
calendar app would show, using the feed's own VTIMEZONE for the series.
"""

import datetime
import os
import subprocess
import sys
import tempfile
import unittest

try:
    import icalendar
    from dateutil import rrule
except ImportError:
    # Debian's python3-icalendar lives in the system interpreter; CMake may
    # have found another one (pyenv, venv) first.
    SYSTEM_PYTHON = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.path.exists(
        SYSTEM_PYTHON
    ):
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, "-m", "unittest", "-v", "test_feed_parsers"])
    raise

UTC = datetime.timezone.utc
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"
RAMADAN = "2026-03-01-ramadan-training"
Y2027 = "2027-02-10-digital-workshop"
MONTHLY = "2026-06-02-monthly-transparency-call"
FORUM = "2026-05-12-open-data-forum"


def build_samples(directory):
    build = os.environ.get("AGENDAD_BUILD_DIR")
    if not build:
        raise unittest.SkipTest("AGENDAD_BUILD_DIR is not set")
    binary = os.path.join(build, "tests", "test_feed")
    env = dict(os.environ, AGENDAD_FEED_SAMPLES=directory)
    subprocess.run([binary], env=env, check=True, stdout=subprocess.DEVNULL, timeout=240)


class FeedParsers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        build_samples(cls.tmp.name)
        cls.raw = {}
        cls.cals = {}
        for name in sorted(os.listdir(cls.tmp.name)):
            with open(os.path.join(cls.tmp.name, name), "rb") as f:
                cls.raw[name] = f.read()
            cls.cals[name] = icalendar.Calendar.from_ical(cls.raw[name])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def event(self, sample, uid):
        for ev in self.cals[sample].walk("VEVENT"):
            if str(ev["UID"]) == uid:
                return ev
        self.fail(f"{uid} not in {sample}")

    def instant(self, sample, uid, prop="DTSTART"):
        return self.event(sample, uid)[prop].dt.astimezone(UTC)

    def test_samples_exist(self):
        for name in ("network-ar.ics", "network-fr.ics", "empty.ics",
                     "member-fes-meknes-ar-alarms.ics"):
            self.assertIn(name, self.cals)

    def test_every_sample_parses_cleanly(self):
        for name, cal in self.cals.items():
            self.assertEqual(cal.name, "VCALENDAR", name)
            self.assertEqual(str(cal["VERSION"]), "2.0", name)
            self.assertNotIn("METHOD", cal, name)
            for comp in cal.walk():
                self.assertEqual(comp.errors, [], f"{name}: {comp.name}")
            # Round trip: what icalendar writes back parses to the same UIDs.
            again = icalendar.Calendar.from_ical(cal.to_ical())
            self.assertEqual([str(e["UID"]) for e in again.walk("VEVENT")],
                             [str(e["UID"]) for e in cal.walk("VEVENT")], name)

    def test_lines_are_folded_and_utf8(self):
        for name, raw in self.raw.items():
            raw.decode("utf-8")
            for line in raw.split(b"\r\n"):
                self.assertLessEqual(len(line), 75, name)
                line.decode("utf-8")  # no character cut by folding

    def test_one_off_instants(self):
        s = "network-ar.ics"
        self.assertEqual(self.instant(s, WORKSHOP + "/slot-1"),
                         datetime.datetime(2023, 3, 7, 8, 30, tzinfo=UTC))
        self.assertEqual(self.instant(s, WORKSHOP + "/slot-1", "DTEND"),
                         datetime.datetime(2023, 3, 7, 9, 0, tzinfo=UTC))
        self.assertEqual(self.instant(s, RAMADAN),
                         datetime.datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
        self.assertEqual(self.instant(s, Y2027),
                         datetime.datetime(2027, 2, 10, 9, 30, tzinfo=UTC))

    def test_slots_point_to_their_event(self):
        slot = self.event("network-ar.ics", WORKSHOP + "/slot-3")
        self.assertEqual(str(slot["RELATED-TO"]), WORKSHOP)
        self.assertEqual(slot["RELATED-TO"].params["RELTYPE"], "PARENT")

    def test_text_and_language(self):
        ev = self.event("network-fr.ics", RAMADAN)
        self.assertEqual(str(ev["SUMMARY"]),
                         "تكوين عن بعد, حول مبادئ الانفتاح; الجزء الأول\nالسطر الثاني")
        self.assertEqual(ev["SUMMARY"].params["LANGUAGE"], "ar")
        cal = self.cals["network-fr.ics"]
        self.assertEqual(str(cal["NAME"]),
                         "Réseau marocain des collectivités territoriales ouvertes, RMCTO; agenda")
        self.assertEqual(cal["REFRESH-INTERVAL"].to_ical(), b"PT1H")

    def test_all_day(self):
        ev = self.event("network-fr.ics", FORUM)
        self.assertEqual(ev["DTSTART"].dt, datetime.date(2026, 5, 12))
        self.assertEqual(ev["DTEND"].dt, datetime.date(2026, 5, 15))

    def test_series_expands_with_the_feeds_vtimezone(self):
        s = "network-ar.ics"
        zones = self.cals[s].walk("VTIMEZONE")
        self.assertEqual([str(z["TZID"]) for z in zones], ["Africa/Casablanca"])
        tz = zones[0].to_tz()
        ev = self.event(s, MONTHLY)
        start = ev["DTSTART"].dt.replace(tzinfo=None)
        rule = rrule.rrulestr(ev["RRULE"].to_ical().decode(), dtstart=start)
        exdates = ev["EXDATE"] if isinstance(ev["EXDATE"], list) else [ev["EXDATE"]]
        excluded = {d.dt.replace(tzinfo=None) for x in exdates for d in x.dts}
        local = [t for t in rule if t not in excluded]
        instants = [tz.localize(t).astimezone(UTC) for t in local]
        self.assertEqual(len(instants), 11)
        self.assertEqual(instants[0], datetime.datetime(2026, 6, 2, 9, 0, tzinfo=UTC))
        # After 2026-09-20 Morocco stays on UTC+0.
        self.assertEqual(instants[4], datetime.datetime(2026, 10, 6, 10, 0, tzinfo=UTC))
        self.assertNotIn(datetime.datetime(2027, 1, 5, 10, 0, tzinfo=UTC), instants)
        self.assertEqual(instants[-1], datetime.datetime(2027, 5, 4, 10, 0, tzinfo=UTC))

    def test_alarms(self):
        ev = self.event("member-fes-meknes-ar-alarms.ics", WORKSHOP)
        triggers = sorted(a["TRIGGER"].dt for a in ev.walk("VALARM"))
        self.assertEqual(triggers, [-datetime.timedelta(days=1), -datetime.timedelta(minutes=15)])

    def test_empty_feed(self):
        cal = self.cals["empty.ics"]
        self.assertEqual(cal.walk("VEVENT"), [])


if __name__ == "__main__":
    unittest.main()
