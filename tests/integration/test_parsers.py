"""Third-party parsers read the served feeds as subscribers' apps would:
ical.js (Thunderbird), python3-icalendar with recurring-ical-events
(khal/vdirsyncer's stack). Instants must match the system tzdata whatever
zone rules those parsers carry; a cancelled event reads as cancelled, or
with `cancelled=visible` (for Google Calendar) as a confirmed, free event
whose title says it is off; an online meeting's link reads as URL,
CONFERENCE and the first line of the description."""

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


# A test config's events (the sample's stay as recorded in tests/exports/):
# a cancelled online consultation with two agenda items, and an online
# clinic that takes place.
ONLINE_EVENTS = """\
- uid: 2027-03-10-zz-online-consultation
  title: {ar: "استشارة عن بعد حول الميزانية", fr: "Consultation en ligne sur le budget"}
  description: {ar: "ساعتان عبر الفيديو", fr: "Deux heures, en visio."}
  start: 2027-03-10T10:00
  end: 2027-03-10T12:00
  host: fes-meknes
  audience: [network]
  status: cancelled
  online_url: "https://visio.example.org/b/rmcto-budget?pwd=a,b;c"
  agenda:
    - start: "10:00"
      end: "11:00"
      title: {ar: "تقديم", fr: "Présentation"}
      kind: presentation
    - start: "11:00"
      end: "12:00"
      title: {ar: "أسئلة"}
      kind: session
- uid: 2027-03-11-zz-online-clinic
  title: {ar: "عيادة رقمية عن بعد", fr: "Clinique numérique en ligne"}
  start: 2027-03-11T15:00
  end: 2027-03-11T16:00
  host: fes-meknes
  audience: [network]
  online_url: https://meet.example.org/rmcto-clinic
"""
CONSULT = "2027-03-10-zz-online-consultation"
CLINIC = "2027-03-11-zz-online-clinic"
CONSULT_URL = "https://visio.example.org/b/rmcto-budget?pwd=a,b;c"
CLINIC_URL = "https://meet.example.org/rmcto-clinic"


def icaljs(path):
    dest = npm_dir()
    out = subprocess.run(["node", os.path.join(dest, "icaljs_dump.mjs"), path],
                         cwd=dest, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


class CancelledAndOnlineTest(unittest.TestCase):
    """Each feed read by python3-icalendar and by ical.js, into one view per
    parser: {uid: {status, transp, summary, url, conference, description}}."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()
        cls.d.write("events/zz-online.yaml", ONLINE_EVENTS)
        cls.d.reload("configuration loaded")
        cls.feeds = {}
        for name, query in (("plain", "lang=fr"), ("visible", "lang=fr&cancelled=visible"),
                            ("visible-ar", "lang=ar&cancelled=visible")):
            status, _, body = cls.d.get("/feeds/network.ics?" + query)
            assert status == 200, body
            path = os.path.join(cls.d.tmp, name + ".ics")
            with open(path, "wb") as f:
                f.write(body)
            cls.feeds[name] = (body, path)

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def views(self, name):
        body, path = self.feeds[name]
        py = {}
        for e in icalendar.Calendar.from_ical(body).walk("VEVENT"):
            conf = e.get("CONFERENCE")
            py[str(e["UID"])] = {
                "status": str(e.get("STATUS")), "transp": e.get("TRANSP") and str(e["TRANSP"]),
                "summary": str(e["SUMMARY"]), "url": e.get("URL") and str(e["URL"]),
                "conference": conf and str(conf),
                "conference_type": conf and conf.params.get("VALUE", "").lower(),
                "description": e.get("DESCRIPTION") and str(e["DESCRIPTION"])}
        js = {e["uid"]: e for e in icaljs(path)["events"]}
        return {"python3-icalendar": py, "ical.js": js}

    def items(self, view):
        return sorted(uid for uid in view if uid.startswith(CONSULT + "/"))

    def test_without_the_option_a_cancelled_event_reads_cancelled(self):
        for parser, v in self.views("plain").items():
            with self.subTest(parser=parser):
                self.assertEqual(len(self.items(v)), 2)
                for uid in [CONSULT] + self.items(v):
                    self.assertEqual(v[uid]["status"], "CANCELLED", uid)
                    self.assertIsNone(v[uid]["transp"], uid)
                    self.assertNotIn("Annulé", v[uid]["summary"], uid)
                self.assertEqual(v[CONSULT]["summary"], "Consultation en ligne sur le budget")
                self.assertEqual(v[CLINIC]["status"], "CONFIRMED")

    def test_with_cancelled_visible_it_reads_confirmed_free_and_marked(self):
        for name, mark, title, item in (
                ("visible", "[Annulé]", "Consultation en ligne sur le budget", "Présentation"),
                ("visible-ar", "[ملغى]", "استشارة عن بعد حول الميزانية", "تقديم")):
            for parser, v in self.views(name).items():
                with self.subTest(feed=name, parser=parser):
                    items = self.items(v)
                    self.assertEqual(len(items), 2)
                    for uid in [CONSULT] + items:
                        self.assertEqual(v[uid]["status"], "CONFIRMED", uid)
                        self.assertEqual(v[uid]["transp"], "TRANSPARENT", uid)
                        self.assertTrue(v[uid]["summary"].startswith(mark + " "), uid)
                    self.assertEqual(v[CONSULT]["summary"], f"{mark} {title}")
                    self.assertEqual(v[items[0]]["summary"], f"{mark} {item}")
                    # The item titled in Arabic only says it in the feed's language.
                    self.assertEqual(v[items[1]]["summary"], f"{mark} أسئلة")
                    # Events that take place are untouched.
                    self.assertEqual(v[CLINIC]["status"], "CONFIRMED")
                    self.assertIsNone(v[CLINIC]["transp"])
                    self.assertFalse(v[CLINIC]["summary"].startswith("["))

    def test_the_online_link_reads_as_url_conference_and_description(self):
        for name in ("plain", "visible"):
            for parser, v in self.views(name).items():
                with self.subTest(feed=name, parser=parser):
                    for uid, url in [(CLINIC, CLINIC_URL), (CONSULT, CONSULT_URL)] + [
                            (u, CONSULT_URL) for u in self.items(v)]:
                        e = v[uid]
                        self.assertEqual(e["url"], url, uid)
                        self.assertEqual(e["conference"], url, uid)
                        self.assertEqual(e["conference_type"], "uri", uid)
                        self.assertEqual(e["description"].split("\n")[0], url, uid)
                    self.assertEqual(v[CONSULT]["description"],
                                     CONSULT_URL + "\n\nDeux heures, en visio.\n\nProgramme :\n"
                                     "10:00–11:00 Présentation\n11:00–12:00 أسئلة")
                    self.assertEqual(v[CLINIC]["description"], CLINIC_URL)
                    # Without a link, the event's page and no CONFERENCE.
                    ws = v["2023-03-07-fes-meknes-cocreation-workshop"]
                    self.assertTrue(ws["url"].endswith(
                        "/events/2023-03-07-fes-meknes-cocreation-workshop"))
                    self.assertIsNone(ws["conference"])


if __name__ == "__main__":
    unittest.main()
