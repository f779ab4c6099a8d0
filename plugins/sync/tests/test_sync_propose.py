"""Finding a time from end to end (issue 13): the sync plugin reads a
member's feed from a real HTTP peer and another member's calendar from a
real Radicale, the daemon stores their busy time, and `agendad propose`,
GET /schedule/propose and GET /freebusy/members/ID.ifb answer from it.

The region fes-meknes has three members: fes-meknes itself, whose feed
holds a busy meeting, a private one, a transparent one and a weekly
series with an EXDATE; azrou, whose CalDAV collection holds a busy event
and a tentative one; ifrane, which has no calendar. Every slot proposed
is checked against an independent reckoning (python3-icalendar and
recurring-ical-events over the same fixtures, working hours by zoneinfo),
and nothing of what the members are busy with may reach an answer, a
feed or the log."""

import calendar
import datetime as dt
import json
import os
import secrets
import shutil
import sqlite3
import tempfile
import time
import unittest
from zoneinfo import ZoneInfo

import icalendar

from harness import Daemon
from test_propose import CIVIL, RELIGIOUS, hijri
from test_sync import Peer
from test_sync_busy import HELPER, PLUGIN_BUILD_DIR, expected_busy, vcal, vevent
from test_sync_push import PASSWORDS, Radicale

UTC = dt.timezone.utc
ZONE = "Africa/Casablanca"
ADMIN = "admin-" + secrets.token_hex(20)
A, B, C = "fes-meknes", "azrou", "ifrane"
MEMBERS = [A, B, C]  # members.yaml's order
DURATION = 3600
STEP = 1800
COUNT = 100  # more than the window's slots: every one is checked
HOURS = (8 * 60 + 30, 16 * 60 + 30)  # the default, Monday to Friday

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
feeds:
  window_from: "-30d"
  window_to: "+800d"
categories:
  - id: council
    name: {fr: "Conseils"}
http:
  admin_token_file: admin.token
plugins:
  directory: %(plugins)s
  load:
    sync:
      helper: %(helper)s
      timezone: Africa/Casablanca
      connect_timeout: 2s
      timeout: 5s
      max_backoff: 1s
"""

MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    feed_url: %(feed)s
    sync:
      interval: 1h
      network: true
  - id: azrou
    kind: commune
    region: fes-meknes
    name: {fr: "Commune d'Azrou"}
    sync:
      interval: 1h
      caldav:
        url: %(caldav)s
        username: azrou
        password_file: azrou.secret
  - id: ifrane
    kind: commune
    region: fes-meknes
    name: {fr: "Commune d'Ifrane"}
"""

# (uid, summary) of the members' own events: none may reach an answer.
A_BUSY = ("budget-2f8c@fes-meknes.example", "Commission du budget régional")
A_PRIVATE = ("private-9d41@fes-meknes.example", "Rendez-vous confidentiel du président")
A_FREE = ("reading-5e07@fes-meknes.example", "Lecture de la revue de presse")
A_WEEKLY = ("weekly-c3a6@fes-meknes.example", "Permanence des élus")
B_BUSY = ("council-71b2@azrou.example", "Conseil communal extraordinaire")
B_MAYBE = ("visit-0e9f@azrou.example", "Visite du chantier de la médiathèque")
OWN_EVENTS = [A_BUSY, A_PRIVATE, A_FREE, A_WEEKLY, B_BUSY, B_MAYBE]


def ordinary(day):
    """No civil holiday, no religious one, not in Ramadan (by the Hijri
    date agendad computes with its defaults)."""
    month, mday = hijri(day)
    since = CIVIL.get((day.month, day.day))
    return month != 9 and (month, mday) not in RELIGIOUS and (since is None or day.year < since)


def quiet_tuesday(after):
    """The first Tuesday on or after `after` that starts eight ordinary
    days, with two more on each side: no holiday, probable holiday or
    Ramadan hours in the proposal's window whatever the moon does."""
    day = after + dt.timedelta(days=(1 - after.weekday()) % 7)
    while not all(ordinary(day + dt.timedelta(days=i)) for i in range(-2, 10)):
        day += dt.timedelta(days=7)
    return day


def local(day, hour=0, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(ZONE))


def tzid(t):
    return f";TZID={ZONE}:{t:%Y%m%dT%H%M%S}"


def utc(t):
    return ":" + t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ts(t):
    return int(t.timestamp())


def iso(seconds):
    return dt.datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def member_feed(d):
    """fes-meknes's published calendar: on Tuesday d, busy 08:30-09:30,
    private 10:00-11:00, transparent 12:00-13:00, and a weekly 15:00-16:00
    from d on, three times, but d + 7 (EXDATE)."""
    def ev(which, start, end, extra=""):
        return vevent(which[0], which[1], tzid(start), tzid(end), extra)
    week = d + dt.timedelta(days=7)
    return vcal(ev(A_BUSY, local(d, 8, 30), local(d, 9, 30)),
                ev(A_PRIVATE, local(d, 10), local(d, 11), "CLASS:PRIVATE\r\n"),
                ev(A_FREE, local(d, 12), local(d, 13), "TRANSP:TRANSPARENT\r\n"),
                ev(A_WEEKLY, local(d, 15), local(d, 16),
                   f"RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE{tzid(local(week, 15))}\r\n"))


def caldav_events(d):
    """azrou's collection, one resource each: busy 11:00-12:00 on d,
    tentatively busy 13:30-14:30."""
    return {"council.ics": vcal(vevent(B_BUSY[0], B_BUSY[1], utc(local(d, 11)),
                                       utc(local(d, 12)))),
            "visit.ics": vcal(vevent(B_MAYBE[0], B_MAYBE[1], utc(local(d, 13, 30)),
                                     utc(local(d, 14, 30)), "STATUS:TENTATIVE\r\n"))}


def why(busy, member, start, end):
    """None if member can come to [start, end), else (reason, tentative)."""
    z = ZoneInfo(ZONE)
    ls, le = dt.datetime.fromtimestamp(start, z), dt.datetime.fromtimestamp(end, z)
    midnight = local(ls.date())
    first, last = (ts(ls) - ts(midnight)) // 60, (ts(le) - ts(midnight)) // 60
    if ls.weekday() >= 5 or first < HOURS[0] or last > HOURS[1]:
        return ("hours", False)
    over = [t for s, e, t in busy.get(member, []) if s < end and e > start]
    if over:
        return ("calendar", all(over))
    return None


def reckon(busy, first, last):
    """The slots agendad must propose, in its order: everyone free by time,
    then near-misses by fewest busy and time, none overlapping one already
    taken, none that no member can come to. [(start, {member: why})]"""
    ranked = []
    day = first
    end_of_window = ts(local(last + dt.timedelta(days=1)))
    while day <= last:
        for minute in range(0, 24 * 60, STEP // 60):
            s = ts(local(day, minute // 60, minute % 60))
            if s + DURATION > end_of_window:
                continue
            out = {m: w for m in MEMBERS if (w := why(busy, m, s, s + DURATION))}
            if len(out) < len(MEMBERS):
                ranked.append((len(out), s, out))
        day += dt.timedelta(days=1)
    chosen = []
    for _, s, out in sorted(ranked, key=lambda r: r[:2]):
        if len(chosen) < COUNT and all(s + DURATION <= c or c + DURATION <= s
                                       for c, _ in chosen):
            chosen.append((s, out))
    return chosen


def seconds(text):
    return calendar.timegm(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def freebusy_periods(body):
    """The periods of the answer's one VFREEBUSY, (start, end, FBTYPE)."""
    cal = icalendar.Calendar.from_ical(body)
    fbs = list(cal.walk("VFREEBUSY"))
    assert len(fbs) == 1, body
    props = fbs[0].get("FREEBUSY", [])
    return sorted((ts(p.start), ts(p.end), p.params.get("FBTYPE", "BUSY"))
                  for p in (props if isinstance(props, list) else [props]))


class ProposeFromSyncedCalendars(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        today = dt.datetime.now(UTC).date()
        # Two weeks ahead: inside every window the plugin reads (a day
        # back to two years on) and the weekly series all in the future.
        cls.d = quiet_tuesday(today + dt.timedelta(days=14))
        cls.last = cls.d + dt.timedelta(days=7)
        cls.feed = member_feed(cls.d)
        cls.dav_events = caldav_events(cls.d)
        cls.peer = Peer()
        cls.addClassCleanup(cls.peer.stop)
        cls.peer.write("fes-meknes.ics", cls.feed)
        cls.dav = Radicale()
        cls.addClassCleanup(cls.dav.stop)
        for name, text in cls.dav_events.items():  # there before the first read
            cls.dav.put(f"/azrou/cal/{name}", text, user="azrou")
        cfg = tempfile.mkdtemp(prefix="agendad-propose-e2e-")
        cls.addClassCleanup(shutil.rmtree, cfg, ignore_errors=True)
        for name, text in (
                ("agendad.yaml", AGENDAD_YAML % {"plugins": PLUGIN_BUILD_DIR, "helper": HELPER}),
                ("members.yaml", MEMBERS_YAML % {"feed": cls.peer.base + "/fes-meknes.ics",
                                                 "caldav": cls.dav.base + "/azrou/cal/"}),
                ("admin.token", ADMIN + "\n"), ("azrou.secret", PASSWORDS["azrou"] + "\n")):
            with open(os.path.join(cfg, name), "w", encoding="utf-8") as f:
                f.write(text)
        cls.daemon = Daemon(config_src=cfg)
        cls.addClassCleanup(cls.daemon.cleanup)
        cls.daemon.start()
        cls.wait_until_read()
        # What the members are busy with, read independently of agendad.
        lo, hi = ts(local(today - dt.timedelta(days=30))), ts(local(today + dt.timedelta(days=800)))
        cls.busy = {A: expected_busy([cls.feed], lo, hi, ZONE),
                    B: expected_busy(cls.dav_events.values(), lo, hi, ZONE)}

    @classmethod
    def wait_until_read(cls, timeout=45):
        """Both calendars read and their busy time stored: the rows are
        there, and the plugin says each read succeeded and is over (the
        feed's events are stored before its busy time)."""
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            db = sqlite3.connect(cls.daemon.state, timeout=10)
            try:
                read = set(db.execute("SELECT member, source FROM busy_sources").fetchall())
            except sqlite3.OperationalError:  # not created yet
                read = set()
            finally:
                db.close()
            status = {m["member"]: m for m in
                      json.loads(cls.daemon.get("/plugins/sync/status")[2])["members"]}
            feed, dav = status[A], status[B]["caldav_read"]
            if ({(A, "feed"), (B, "caldav")} <= read and feed["last_success"]
                    and not feed["busy"] and feed["last_error"] is None
                    and dav["last_success"] and not dav["busy"] and dav["last_error"] is None):
                return
            time.sleep(0.1)
        raise AssertionError(f"calendars never read: {status}\n{cls.daemon.log_text()}")

    def query(self):
        return (f"audience=region:fes-meknes&duration=1h&from={self.d}&to={self.last}"
                f"&count={COUNT}")

    def cli(self, fmt="json"):
        r = self.daemon.run_cli("propose", "--audience", "region:fes-meknes", "--duration", "1h",
                                "--from", str(self.d), "--to", str(self.last),
                                "--count", str(COUNT), "--format", fmt)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def assert_nothing_of_their_events(self, text, what):
        for uid, summary in OWN_EVENTS:
            self.assertNotIn(uid, text, what)
            self.assertNotIn(summary, text, what)

    def test_cli_proposes_what_the_calendars_leave_free(self):
        out = self.cli()
        self.assert_nothing_of_their_events(out, "propose --format json")
        doc = json.loads(out)
        self.assertEqual(doc["members"], MEMBERS)
        self.assertEqual(doc["unknown_calendar"], [C])
        self.assertEqual((doc["from"], doc["to"], doc["duration_minutes"]),
                         (str(self.d), str(self.last), 60))
        want = reckon(self.busy, self.d, self.last)
        got = [(seconds(s["start"]), s) for s in doc["slots"]]
        self.assertEqual([iso(s) for s, _ in got], [iso(s) for s, _ in want])
        for (start, slot), (_, out_) in zip(got, want):
            with self.subTest(slot=slot["local"]):
                self.assertEqual(seconds(slot["end"]), start + DURATION)
                self.assertEqual(slot["local"], dt.datetime.fromtimestamp(start, ZoneInfo(ZONE))
                                 .strftime("%Y-%m-%dT%H:%M"))
                self.assertEqual(slot["timezone"], ZONE)
                self.assertEqual(slot["free"], [m for m in MEMBERS if m not in out_])
                self.assertEqual(slot["busy"], [{"member": m, "reason": out_[m][0],
                                                 "tentative": out_[m][1]}
                                                for m in MEMBERS if m in out_])
                self.assertFalse(slot["probable_holiday"])
                self.assertTrue(slot["unknown_calendar"])  # ifrane is always free
        # The facts behind that equality.
        d, week = self.d, self.last
        free = [(seconds(s["start"]), seconds(s["end"])) for s in doc["slots"] if not s["busy"]]
        for s, e in [(local(d, 8, 30), local(d, 9, 30)), (local(d, 10), local(d, 11)),
                     (local(d, 11), local(d, 12)), (local(d, 15), local(d, 16))]:
            self.assertFalse([f for f in free if f[0] < ts(e) and f[1] > ts(s)],
                             (s, e))  # A's busy and private, B's busy, A's series
        self.assertIn((ts(local(d, 12)), ts(local(d, 13))), free)  # A's transparent hour
        self.assertIn((ts(local(week, 15, 30)), ts(local(week, 16, 30))), free)  # EXDATE
        near = {s["local"]: s["busy"] for s in doc["slots"] if s["busy"]}
        self.assertEqual(near[f"{d}T08:30"], [{"member": A, "reason": "calendar",
                                               "tentative": False}])
        self.assertEqual(near[f"{d}T11:00"], [{"member": B, "reason": "calendar",
                                               "tentative": False}])
        self.assertEqual(near[f"{d}T13:00"], [{"member": B, "reason": "calendar",
                                               "tentative": True}])
        self.assertEqual(near[f"{d}T15:00"], [{"member": A, "reason": "calendar",
                                               "tentative": False}])
        # Read by a person, the text says no more.
        self.assert_nothing_of_their_events(self.cli("txt"), "propose --format txt")

    def test_http_answers_the_cli_json(self):
        code, headers, body = self.daemon.get(f"/schedule/propose?{self.query()}",
                                              {"Authorization": f"Bearer {ADMIN}"})
        self.assertEqual(code, 200, body)
        self.assertNotIn("access-control-allow-origin", headers)
        cli = self.cli()
        self.assertEqual(json.loads(body), json.loads(cli))
        self.assertEqual(body.decode(), cli)
        self.assertEqual(self.daemon.get(f"/schedule/propose?{self.query()}")[0], 401)

    def test_free_busy_shows_the_times_only(self):
        out = self.daemon.run_cli("token", A)
        self.assertEqual(out.returncode, 0, out.stderr)
        token = out.stdout.strip().split("token=")[1]
        code, headers, body = self.daemon.get(f"/freebusy/members/{A}.ifb?token={token}")
        self.assertEqual(code, 200, body)
        self.assertNotIn("access-control-allow-origin", headers)
        text = body.decode()
        self.assert_nothing_of_their_events(text, "fes-meknes.ifb")
        for name in ("SUMMARY", "UID:" + A_BUSY[0], "VEVENT", "CLASS"):
            self.assertNotIn(name, text)
        periods = freebusy_periods(body)
        # Exactly what the feed makes busy: the meeting, the private one
        # and the series but its EXDATE, not the transparent hour.
        self.assertEqual(periods, [(s, e, "BUSY") for s, e, _ in self.busy[A]])
        d = self.d
        for s, e in [(local(d, 8, 30), local(d, 9, 30)), (local(d, 10), local(d, 11)),
                     (local(d, 15), local(d, 16))]:
            self.assertIn((ts(s), ts(e), "BUSY"), periods)
        self.assertFalse([p for p in periods if p[0] < ts(local(d, 13)) and
                          p[1] > ts(local(d, 12))])
        self.assertFalse([p for p in periods if p[0] == ts(local(self.last, 15))])
        # azrou's, read from Radicale, as the admin sees it: the tentative
        # event says so.
        code, _, body = self.daemon.get(f"/freebusy/members/{B}.ifb",
                                        {"Authorization": f"Bearer {ADMIN}"})
        self.assertEqual(code, 200, body)
        self.assert_nothing_of_their_events(body.decode(), "azrou.ifb")
        self.assertEqual(freebusy_periods(body),
                         [(ts(local(d, 11)), ts(local(d, 12)), "BUSY"),
                          (ts(local(d, 13, 30)), ts(local(d, 14, 30)), "BUSY-TENTATIVE")])
        # Another member's token opens nothing.
        self.assertEqual(self.daemon.get(f"/freebusy/members/{B}.ifb?token={token}")[0], 403)

    def test_private_event_stays_out_of_every_feed(self):
        for path in ("/feeds/network.ics", f"/feeds/members/{A}.ics", f"/feeds/members/{B}.ics"):
            code, _, body = self.daemon.get(path)
            self.assertEqual(code, 200, path)
            text = body.decode()
            self.assertNotIn(A_PRIVATE[0], text, path)
            self.assertNotIn(A_PRIVATE[1], text, path)
            # What azrou's calendar holds is read as busy time, never published.
            for uid, summary in (B_BUSY, B_MAYBE):
                self.assertNotIn(uid, text, path)
                self.assertNotIn(summary, text, path)
        # The feed's other events are published as before, in both feeds.
        for path in ("/feeds/network.ics", f"/feeds/members/{A}.ics"):
            text = self.daemon.get(path)[2].decode()
            for _, summary in (A_BUSY, A_FREE, A_WEEKLY):
                self.assertIn(summary, text, path)
        self.assertNotIn(A_PRIVATE[1], self.daemon.log_text())


if __name__ == "__main__":
    unittest.main()
