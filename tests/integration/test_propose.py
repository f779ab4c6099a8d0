"""`agendad propose` checked slot by slot by an independent reckoning.

A small network (fixture config written here) with network events
(a weekly series with an exception, a tentative event, a cancelled one, an
all-day one, a members-only one, events in Ramadan 2026 and around
Morocco's last clock change on 2026-09-20) and members' own calendars as
.ics feeds (a recurring series with EXDATE and an override, private,
transparent, cancelled and tentative events, all-day events, a member in
Europe/Paris across summer time).

The members' busy time is what the sync plugin would store: that plugin
lives on another branch, so this test stands in for it. It expands the
fixture feeds with python3-icalendar and recurring-ical-events, applies the
rules the issue gives (TRANSP:TRANSPARENT and STATUS:CANCELLED do not
count, CLASS:PRIVATE does, times only; an all-day event is the member's
local day) and writes the intervals into the state database's
busy_intervals and busy_sources tables with sqlite3.

Then, for each answer of `agendad propose --format json`, the test reckons
every candidate slot on its own: the network events expanded by
recurring-ical-events from an .ics written from the same data as the YAML,
the members' calendars from the same feeds, working hours and Ramadan in
each member's zone (zoneinfo), Morocco's holidays with the Hijri dates from
PyICU (python3-icu); it replays the order and the choice of slots, and
requires the same slots, the same busy members and the same reasons.
Plus: completeness (where exactly one free window exists it is the first
slot), the errors and exit codes, the text in Arabic and French, and the
ics answer read back by python3-icalendar."""

import calendar
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
from zoneinfo import ZoneInfo

import icalendar
import icu
import recurring_ical_events

from harness import BIN

UTC = dt.timezone.utc
NETWORK_TZ = "Africa/Casablanca"
HIJRI_ADJUST = -1  # the default of scheduling.hijri_adjust, with islamic-umalqura
ADDED = {dt.date(2027, 1, 15)}  # holidays: add
REMOVED = {dt.date(2027, 1, 14)}  # holidays: remove (the Amazigh New Year is worked)
READ_WINDOW = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
base_url: "https://agenda.example.org"
categories:
  - id: workshop
    name: {ar: "ورشات", fr: "Ateliers"}
holidays:
  - add: 2027-01-15
    name: {ar: "يوم جهوي", fr: "Fête régionale"}
  - remove: 2027-01-14
"""

MEMBERS = {
    # id: (kind, region, zone, hours (days, start, end, ramadan or None))
    "fes-meknes": ("region", "fes-meknes", NETWORK_TZ, None),
    "fes": ("commune", "fes-meknes", NETWORK_TZ, None),
    "meknes": ("commune", "fes-meknes", NETWORK_TZ, None),
    "taza": ("commune", "fes-meknes", NETWORK_TZ, None),
    "paris": ("commune", "fes-meknes", "Europe/Paris", ((0, 1, 2, 3, 4), 9 * 60, 17 * 60, False)),
    "oriental": ("region", "oriental", NETWORK_TZ, None),
}
DEFAULT_HOURS = ((0, 1, 2, 3, 4), 8 * 60 + 30, 16 * 60 + 30, ((0, 1, 2, 3, 4), 9 * 60, 15 * 60))

MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {ar: "جهة فاس مكناس", fr: "Région Fès-Meknès"}
  - id: fes
    kind: commune
    region: fes-meknes
    name: {ar: "جماعة فاس", fr: "Commune de Fès"}
  - id: meknes
    kind: commune
    region: fes-meknes
    name: {ar: "جماعة مكناس", fr: "Commune de Meknès"}
  - id: taza
    kind: commune
    region: fes-meknes
    name: {ar: "جماعة تازة", fr: "Commune de Taza"}
  - id: paris
    kind: commune
    region: fes-meknes
    name: {fr: "Bureau de Paris"}
    timezone: Europe/Paris
    hours: {start: "09:00", end: "17:00", ramadan: false}
  - id: oriental
    kind: region
    name: {ar: "جهة الشرق", fr: "Région de l'Oriental"}
"""

# Network events: the YAML agendad reads and the .ics the checker expands
# are both written from these.
EVENTS = [
    dict(uid="weekly-coordination", start="2027-01-05T10:00", end="2027-01-05T11:00",
         host="fes-meknes", audience=["region:fes-meknes"], rule="FREQ=WEEKLY;COUNT=8",
         except_=["2027-01-19T10:00"]),
    dict(uid="taza-visit", start="2027-01-13T14:00", end="2027-01-13T16:00", host="taza",
         audience=["meknes"], status="tentative"),
    dict(uid="cancelled-meeting", start="2027-01-14T09:00", end="2027-01-14T12:00",
         host="fes-meknes", audience=["fes"], status="cancelled"),
    dict(uid="regional-day", start="2027-01-20", end="2027-01-20", host="fes-meknes",
         audience=["region:fes-meknes"]),
    dict(uid="members-only-call", start="2027-01-21T13:00", end="2027-01-21T15:00", host="fes",
         audience=["fes"], visibility="members"),
    dict(uid="ramadan-webinar", start="2026-03-03T10:00", end="2026-03-03T11:00", host="fes",
         audience=["network"]),
    dict(uid="autumn-call", start="2026-09-22T09:00", end="2026-09-22T10:00", host="oriental",
         audience=["kind:commune"]),
    dict(uid="paris-workshop", start="2027-03-30T09:00", end="2027-03-30T12:00",
         host="fes-meknes", audience=["paris"], tz="Europe/Paris"),
]

# Members' own feeds (what the sync plugin would pull).
FEEDS = {
    "fes": """\
BEGIN:VEVENT
UID:fes-weekly
DTSTART;TZID=Africa/Casablanca:20270104T090000
DTEND;TZID=Africa/Casablanca:20270104T103000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Africa/Casablanca:20270118T090000
END:VEVENT
BEGIN:VEVENT
UID:fes-weekly
RECURRENCE-ID;TZID=Africa/Casablanca:20270125T090000
DTSTART;TZID=Africa/Casablanca:20270125T140000
DTEND;TZID=Africa/Casablanca:20270125T153000
END:VEVENT
BEGIN:VEVENT
UID:fes-private
CLASS:PRIVATE
SUMMARY:Rendez-vous privé
DTSTART;TZID=Africa/Casablanca:20270113T083000
DTEND;TZID=Africa/Casablanca:20270113T093000
END:VEVENT
BEGIN:VEVENT
UID:fes-transparent
TRANSP:TRANSPARENT
DTSTART;TZID=Africa/Casablanca:20270113T110000
DTEND;TZID=Africa/Casablanca:20270113T120000
END:VEVENT
BEGIN:VEVENT
UID:fes-cancelled
STATUS:CANCELLED
DTSTART;TZID=Africa/Casablanca:20270113T130000
DTEND;TZID=Africa/Casablanca:20270113T140000
END:VEVENT
BEGIN:VEVENT
UID:fes-tentative
STATUS:TENTATIVE
DTSTART;TZID=Africa/Casablanca:20270114T150000
DTEND;TZID=Africa/Casablanca:20270114T163000
END:VEVENT
BEGIN:VEVENT
UID:fes-busy-26th
DTSTART;TZID=Africa/Casablanca:20270126T110000
DTEND;TZID=Africa/Casablanca:20270126T143000
END:VEVENT
BEGIN:VEVENT
UID:fes-ramadan
DTSTART;TZID=Africa/Casablanca:20260305T090000
DTEND;TZID=Africa/Casablanca:20260305T110000
END:VEVENT
""",
    "meknes": """\
BEGIN:VEVENT
UID:meknes-day
DTSTART;VALUE=DATE:20270112
DTEND;VALUE=DATE:20270113
END:VEVENT
BEGIN:VEVENT
UID:meknes-ramadan
DTSTART;TZID=Africa/Casablanca:20260304T090000
DTEND;TZID=Africa/Casablanca:20260304T120000
END:VEVENT
BEGIN:VEVENT
UID:meknes-autumn
DTSTART:20260921T080000Z
DTEND:20260921T120000Z
END:VEVENT
""",
    "taza": "",
    "fes-meknes": """\
BEGIN:VEVENT
UID:region-board
DTSTART;TZID=Africa/Casablanca:20270127T080000
DTEND;TZID=Africa/Casablanca:20270127T170000
STATUS:TENTATIVE
END:VEVENT
""",
    "paris": """\
BEGIN:VEVENT
UID:paris-friday
DTSTART;TZID=Europe/Paris:20270319T090000
DTEND;TZID=Europe/Paris:20270319T100000
RRULE:FREQ=WEEKLY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:paris-day
DTSTART;VALUE=DATE:20270122
DTEND;VALUE=DATE:20270123
END:VEVENT
""",
}  # oriental: never read

CIVIL = {(1, 1): 0, (1, 11): 0, (1, 14): 2024, (5, 1): 0, (7, 30): 2000, (8, 14): 1979,
         (8, 20): 0, (8, 21): 2000, (10, 31): 2026, (11, 6): 1976, (11, 18): 0}
RELIGIOUS = {(1, 1), (3, 12), (3, 13), (10, 1), (10, 2), (12, 10), (12, 11)}


def calendar_text(body):
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//propose//EN\n{body}END:VCALENDAR\n"


def ical_time(value, tz):
    if len(value) == 10:
        return f";VALUE=DATE:{value.replace('-', '')}"
    return f";TZID={tz}:{value.replace('-', '').replace(':', '')}00"


def network_ics():
    out = []
    for e in EVENTS:
        tz = e.get("tz", NETWORK_TZ)
        end = e["end"]
        if len(end) == 10:  # YAML's inclusive last day, iCalendar's exclusive end
            end = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
        out += ["BEGIN:VEVENT", f"UID:{e['uid']}", "DTSTART" + ical_time(e["start"], tz),
                "DTEND" + ical_time(end, tz),
                f"STATUS:{e.get('status', 'confirmed').upper()}"]
        if "rule" in e:
            out.append(f"RRULE:{e['rule']}")
        for x in e.get("except_", []):
            out.append("EXDATE" + ical_time(x, tz))
        out.append("END:VEVENT")
    return calendar_text("\n".join(out) + "\n")


def events_yaml():
    out = []
    for e in EVENTS:
        out += [f"- uid: {e['uid']}", f"  title: {{ar: \"نشاط {e['uid']}\", fr: \"Activité {e['uid']}\"}}",
                f"  start: {e['start']}", f"  end: {e['end']}", f"  host: {e['host']}",
                "  audience: [" + ", ".join(f'"{a}"' for a in e["audience"]) + "]"]
        for key in ("status", "visibility"):
            if key in e:
                out.append(f"  {key}: {e[key]}")
        if "tz" in e:
            out.append(f"  timezone: {e['tz']}")
        if "rule" in e:
            out.append(f"  recurrence: {{rule: \"{e['rule']}\", except: [{', '.join(e['except_'])}]}}")
    return "\n".join(out) + "\n"


def ts(d):
    return int(d.timestamp())


def local_midnight(day, tz):
    return ts(dt.datetime.combine(day, dt.time(), ZoneInfo(tz)))


def expand(ics_text, zone):
    """[(start, end, tentative, uid)] of the calendar's occurrences that
    count as busy, in UTC seconds; all-day ones as days of `zone`."""
    cal = icalendar.Calendar.from_ical(ics_text)
    out = []
    for ev in recurring_ical_events.of(cal).between(*READ_WINDOW):
        if str(ev.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        status = str(ev.get("STATUS", "CONFIRMED")).upper()
        if status == "CANCELLED":
            continue
        s, e = ev["DTSTART"].dt, ev["DTEND"].dt
        if not isinstance(s, dt.datetime):
            start, end = local_midnight(s, zone), local_midnight(e, zone)
        else:
            start, end = ts(s), ts(e)
        out.append((start, end, status == "TENTATIVE", str(ev["UID"])))
    return out


_hijri_cache = {}


def hijri(day):
    """(month, day) of the Hijri date agendad gives `day`: ICU's Umm al-Qura
    date of the day HIJRI_ADJUST days later, at noon UTC."""
    if day not in _hijri_cache:
        c = icu.Calendar.createInstance(icu.TimeZone.getGMT(),
                                        icu.Locale("@calendar=islamic-umalqura"))
        shifted = day + dt.timedelta(days=HIJRI_ADJUST)
        c.setTime(float(calendar.timegm(shifted.timetuple()) + 43200))
        _hijri_cache[day] = (c.get(icu.UCalendarDateFields.MONTH) + 1,
                             c.get(icu.UCalendarDateFields.DATE))
    return _hijri_cache[day]


def religious(day):
    return day not in REMOVED and hijri(day) in RELIGIOUS


def holiday(day):
    if day in ADDED:
        return True
    if day in REMOVED:
        return False
    since = CIVIL.get((day.month, day.day))
    return (since is not None and day.year >= since) or religious(day)


def probable(day):
    one = dt.timedelta(days=1)
    return (not holiday(day) and day not in REMOVED
            and (religious(day - one) or religious(day + one)))


def selects(sel, member):
    kind, region = MEMBERS[member][0], MEMBERS[member][1]
    return (sel in ("network", member) or sel == f"region:{region}"
            or sel == f"kind:{kind}")


def concerned(ev, member):
    return ev["host"] == member or any(selects(a, member) for a in ev["audience"])


class World:
    """What the checker knows: each member's busy time, from the fixtures."""

    def __init__(self):
        self.network = {}  # uid -> [(start, end, tentative)] occurrences (all-day: None, day, days)
        cal = icalendar.Calendar.from_ical(network_ics())
        for ev in recurring_ical_events.of(cal).between(*READ_WINDOW):
            if str(ev.get("STATUS")).upper() == "CANCELLED":
                continue
            self.network.setdefault(str(ev["UID"]), []).append(
                (ev["DTSTART"].dt, ev["DTEND"].dt, str(ev.get("STATUS")).upper() == "TENTATIVE"))
        self.calendars = {m: expand(calendar_text(FEEDS[m]), MEMBERS[m][2]) for m in FEEDS}

    def events_of(self, member):
        """[(start, end, tentative, uid)] of the network events concerning member."""
        out = []
        zone = MEMBERS[member][2]
        for e in EVENTS:
            if not concerned(e, member):
                continue
            for s, en, tentative in self.network.get(e["uid"], []):
                if isinstance(s, dt.datetime):
                    out.append((ts(s), ts(en), tentative, e["uid"]))
                else:
                    out.append((local_midnight(s, zone), local_midnight(en, zone), tentative,
                                e["uid"]))
        return out

    def why(self, member, s, e):
        """None when member can come to [s, e); else (reason, uids, tentative),
        uids the network events any of which may be named (those that stand
        in the way equally: agendad names one)."""
        kind, _, zone, hours = MEMBERS[member]
        z = ZoneInfo(zone)
        ls = dt.datetime.fromtimestamp(s, z)
        le = dt.datetime.fromtimestamp(e, z)
        day = ls.date()
        last = dt.datetime.fromtimestamp(e - 1, z).date()
        d = day
        while d <= last:
            if holiday(d):
                return ("holiday", {None}, False)
            d += dt.timedelta(days=1)
        days, start, end, ramadan = hours or DEFAULT_HOURS
        if ramadan and hijri(day)[0] == 9:
            days, start, end = ramadan
        minutes = ls.hour * 60 + ls.minute
        end_minutes = le.hour * 60 + le.minute if le.date() == day else 24 * 60 + 1
        if day.weekday() not in days or minutes < start or end_minutes > end:
            return ("hours", {None}, False)
        found = [(not t, True, u) for a, b, t, u in self.events_of(member) if a < e and b > s]
        if member in self.calendars:
            found += [(not t, False, None) for a, b, t, _ in self.calendars[member]
                      if a < e and b > s]
        if not found:
            return None
        confirmed, is_event, _ = best = max(found, key=lambda f: (f[0], f[1]))
        uids = {f[2] for f in found if f[:2] == best[:2]}
        return ("event" if is_event else "calendar", uids, not confirmed)


def candidates(first, last, step_min, duration):
    z = ZoneInfo(NETWORK_TZ)
    lo = ts(dt.datetime.combine(first, dt.time(), z))
    hi = ts(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), z))
    prev, day = None, first
    while day <= last:
        for minute in range(0, 24 * 60, step_min):
            s = ts(dt.datetime.combine(day, dt.time(minute // 60, minute % 60), z))
            if s < lo or s + duration > hi or (prev is not None and s <= prev):
                continue
            prev = s
            yield s, day
        day += dt.timedelta(days=1)


def expected(world, members, first, last, duration, step_min, count):
    """The slots agendad must propose, in its order: [(start, {member: why})]."""
    ranked = []
    for s, day in candidates(first, last, step_min, duration):
        busy = {m: w for m in members if (w := world.why(m, s, s + duration))}
        if len(busy) == len(members):
            continue
        rank = (1 if probable(day) else 0) if not busy else 1 + len(busy)
        ranked.append((rank, s, busy))
    ranked.sort(key=lambda r: (r[0], r[1]))
    chosen = []
    for _, s, busy in ranked:
        if len(chosen) == count:
            break
        if all(s + duration <= c or c + duration <= s for c, _ in chosen):
            chosen.append((s, busy))
    return chosen


def utc_seconds(text):
    return calendar.timegm(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timetuple())


class Propose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agendad-propose-")
        cls.config = os.path.join(cls.tmp, "config")
        os.makedirs(os.path.join(cls.config, "events"))
        for name, text in (("agendad.yaml", AGENDAD_YAML), ("members.yaml", MEMBERS_YAML),
                           ("events/network.yaml", events_yaml())):
            with open(os.path.join(cls.config, name), "w", encoding="utf-8") as f:
                f.write(text)
        cls.state = os.path.join(cls.tmp, "state.db")
        # The state database, created and migrated as the daemon would.
        subprocess.run([BIN, "export", "--config", cls.config, "--state", cls.state, "--out",
                        os.path.join(cls.tmp, "out")], check=True, capture_output=True)
        cls.world = World()
        db = sqlite3.connect(cls.state)
        read_at = ts(dt.datetime(2026, 12, 1, tzinfo=UTC))
        for member, intervals in cls.world.calendars.items():
            db.execute("INSERT INTO busy_sources (member, source, read_at, window_from, "
                       "window_to) VALUES (?, 'feed', ?, ?, ?)",
                       (member, read_at, ts(READ_WINDOW[0]), ts(READ_WINDOW[1])))
            db.executemany("INSERT INTO busy_intervals (member, source, start, end, tentative) "
                           "VALUES (?, 'feed', ?, ?, ?)",
                           [(member, a, b, int(t)) for a, b, t, _ in intervals])
        db.commit()
        db.close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def propose(self, *args, state=None):
        return subprocess.run([BIN, "propose", "--config", self.config, "--state",
                               state or self.state, *args],
                              capture_output=True, timeout=120)

    def answer(self, audience, duration, first, last, count=10, step="30m"):
        p = self.propose("--audience", audience, "--duration", duration, "--from", first,
                         "--to", last, "--count", str(count), "--step", step, "--format", "json")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return json.loads(p.stdout.decode("utf-8"))

    def check(self, audience, duration_min, first, last, count, step_min=30):
        got = self.answer(audience, f"{duration_min}m", first, last, count, f"{step_min}m")
        members = got["members"]
        self.assertEqual(sorted(members),
                         sorted(m for m in MEMBERS if any(selects(s, m)
                                                          for s in audience.split(","))))
        want = expected(self.world, members, dt.date.fromisoformat(first),
                        dt.date.fromisoformat(last), duration_min * 60, step_min, count)
        self.assertEqual([utc_seconds(s["start"]) for s in got["slots"]], [s for s, _ in want],
                         f"{audience} {first}..{last}")
        for slot, (start, busy) in zip(got["slots"], want):
            with self.subTest(slot=slot["start"]):
                self.assertEqual(utc_seconds(slot["end"]), start + duration_min * 60)
                local = dt.datetime.fromtimestamp(start, ZoneInfo(NETWORK_TZ))
                self.assertEqual(slot["local"], local.strftime("%Y-%m-%dT%H:%M"))
                self.assertEqual(slot["timezone"], NETWORK_TZ)
                self.assertEqual(slot["free"], [m for m in members if m not in busy])
                self.assertEqual([b["member"] for b in slot["busy"]],
                                 [m for m in members if m in busy])
                for b in slot["busy"]:
                    reason, uids, tentative = busy[b["member"]]
                    self.assertEqual((b["reason"], b["tentative"]), (reason, tentative), b)
                    self.assertIn(b.get("uid"), uids)
                self.assertEqual(slot["probable_holiday"], probable(local.date()))
                self.assertEqual(slot["unknown_calendar"], "oriental" in slot["free"])
        return got

    def test_january_2027_region(self):
        got = self.check("region:fes-meknes", 60, "2027-01-04", "2027-01-29", 300)
        reasons = {b["reason"] for s in got["slots"] for b in s["busy"]}
        self.assertLessEqual({"event", "calendar"}, reasons)
        self.assertEqual(got["unknown_calendar"], [])

    def test_january_2027_with_paris_and_oriental(self):
        got = self.check("fes,meknes,paris,oriental", 90, "2027-01-11", "2027-01-22", 40, 15)
        self.assertEqual(got["unknown_calendar"], ["oriental"])

    def test_ramadan_2026_and_the_clock(self):
        # Ramadan hours, Morocco's UTC+0 in Ramadan, Aïd al-Fitr and its
        # probable days, the return to UTC+1 on 22 March.
        got = self.check("fes-meknes,fes,meknes", 120, "2026-03-01", "2026-03-31", 200)
        self.assertTrue(any(s["probable_holiday"] for s in got["slots"]))
        self.assertIn("2026-03-02T09:00", [s["local"] for s in got["slots"]])

    def test_last_clock_change_2026(self):
        self.check("kind:commune", 60, "2026-09-14", "2026-09-25", 300)

    def test_paris_across_summer_time(self):
        self.check("paris,fes", 60, "2027-03-22", "2027-04-02", 300)

    def test_the_one_free_window_comes_first(self):
        # 26 January 2027, fes and meknes, two hours: the region's call at
        # 10:00 and fes's own 11:00-14:30 leave 14:30-16:30 only.
        got = self.answer("fes,meknes", "2h", "2027-01-26", "2027-01-26", 5)
        first = got["slots"][0]
        self.assertEqual(first["local"], "2027-01-26T14:30")
        self.assertEqual(first["busy"], [])
        self.assertEqual([s for s in got["slots"] if not s["busy"]], [first])
        self.check("fes,meknes", 120, "2027-01-26", "2027-01-26", 5)

    def test_without_state_every_calendar_is_unknown(self):
        got_p = self.propose("--audience", "fes,taza", "--duration", "1h", "--from", "2027-01-04",
                             "--to", "2027-01-05", "--format", "json",
                             state=os.path.join(self.tmp, "absent.db"))
        self.assertEqual(got_p.returncode, 0, got_p.stderr.decode())
        got = json.loads(got_p.stdout)
        self.assertEqual(got["unknown_calendar"], ["fes", "taza"])
        self.assertTrue(all(s["unknown_calendar"] for s in got["slots"]))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "absent.db")))

    def test_state_is_left_untouched(self):
        before = os.stat(self.state).st_mtime_ns
        self.answer("fes", "1h", "2027-01-04", "2027-01-05")
        self.assertEqual(os.stat(self.state).st_mtime_ns, before)
        self.assertFalse(os.path.exists(self.state + "-wal"))

    def test_errors_and_exit_codes(self):
        good = ["--audience", "fes", "--duration", "1h", "--from", "2027-01-04", "--to",
                "2027-01-05"]

        def run(*changes, drop=None):
            args = list(good)
            if drop:
                i = args.index(drop)
                del args[i:i + 2]
            for k, v in zip(changes[::2], changes[1::2]):
                if k in args:
                    args[args.index(k) + 1] = v
                else:
                    args += [k, v]
            return self.propose(*args)

        cases = [
            (run("--audience", "nobody"), 1, "nobody"),
            (run("--audience", "fes,region:fes"), 1, "region:fes"),
            (run("--audience", "kind:province"), 1, "kind:province"),
            (run("--duration", "0m"), 2, "longer than zero"),
            (run("--duration", "-1h"), 2, "duration"),
            (run("--from", "2027-01-06"), 2, "before"),
            (run("--from", "2027-01-01", "--to", "2028-01-02"), 2, "367 days"),
            (run("--from", "2027-02-30"), 2, "not a date"),
            (run("--count", "0"), 2, "count"),
            (run("--format", "xml"), 2, "--format"),
            (run(drop="--to"), 2, "to is required"),
            (self.propose(*good, "--audience", "taza"), 2, "twice"),
        ]
        for p, code, says in cases:
            with self.subTest(says=says):
                err = p.stderr.decode("utf-8")
                self.assertEqual(p.returncode, code, err)
                self.assertEqual(p.stdout, b"")
                self.assertEqual(len(err.strip().split("\n")), 1, err)
                self.assertIn(says, err)
        p = subprocess.run([BIN, "list", "--config", self.config, "--state", self.state,
                            "--audience", "fes"], capture_output=True)
        self.assertEqual(p.returncode, 2)

    def text(self, *lang):
        p = self.propose("--audience", "region:fes-meknes", "--duration", "2h", "--from",
                         "2027-01-12", "--to", "2027-01-14", "--count", "30", *lang)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout.decode("utf-8")  # strict: fails on any invalid UTF-8

    def test_text_in_french_and_arabic(self):
        fr = self.text("--lang", "fr")
        self.assertEqual(fr, self.text())  # the network's language is fr
        self.assertIn("Créneaux pour region:fes-meknes — 5 membres, 2 h", fr)
        for word in ("mardi", "mercredi", "son calendrier", "événement taza-visit",
                     "« Activité taza-visit » (provisoire)", "hors des heures de travail",
                     "- Commune de Meknès (meknes) : "):
            self.assertIn(word, fr)
        ar = self.text("--lang", "ar")
        self.assertIn("مواعيد مقترحة لـ region:fes-meknes — 5 أعضاء، 120 دقيقة", ar)
        for word in ("الثلاثاء", "الأربعاء", "تقويمه الخاص", "نشاط taza-visit",
                     "«نشاط taza-visit» (غير مؤكد)", "خارج أوقات العمل",
                     "- جماعة مكناس (meknes): "):
            self.assertIn(word, ar)
        for text in (fr, ar):
            # UTF-8 read as Latin-1 and written again (mojibake) shows as these.
            for bad in ("Ã", "Ø§", "Ù", "\ufffd"):
                self.assertNotIn(bad, text)

    def test_ics(self):
        args = ("--audience", "region:fes-meknes", "--duration", "2h", "--from", "2027-01-12",
                "--to", "2027-01-14", "--count", "8")
        got = self.answer(*args[1::2][:4], count=8)
        p = self.propose(*args, "--format", "ics", "--lang", "ar")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        cal = icalendar.Calendar.from_ical(p.stdout)
        events = [c for c in cal.walk("VEVENT")]
        self.assertEqual(len(events), len(got["slots"]))
        uids = set()
        for ev, slot in zip(events, got["slots"]):
            self.assertEqual(str(ev["STATUS"]), "TENTATIVE")
            self.assertEqual(str(ev["TRANSP"]), "TRANSPARENT")
            self.assertEqual(ts(ev["DTSTART"].dt), utc_seconds(slot["start"]))
            self.assertEqual(ts(ev["DTEND"].dt), utc_seconds(slot["end"]))
            self.assertIn("موعد مقترح", str(ev["SUMMARY"]))
            uids.add(str(ev["UID"]))
        self.assertEqual(len(uids), len(events))
        again = self.propose(*args, "--format", "ics", "--lang", "ar")
        self.assertEqual({str(e["UID"]) for e in
                          icalendar.Calendar.from_ical(again.stdout).walk("VEVENT")}, uids)


if __name__ == "__main__":
    unittest.main()
