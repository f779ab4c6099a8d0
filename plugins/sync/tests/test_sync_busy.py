"""Members' busy time as the sync plugin stores it (ABI 1.9), for finding a
time: from a member's pulled feed (a real HTTP server serving a fixture),
from a CalDAV collection that answers free-busy-query (xandikos) and from
one that does not (Radicale 3.1.8, read with calendar-query). Every stored
interval is checked against an independent reading of the same calendars:
python3-icalendar and recurring-ical-events, or the server's own
free/busy. Nothing private may reach a feed."""

import datetime as dt
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import zoneinfo

import icalendar
import recurring_ical_events

from harness import Daemon, free_port
from test_sync import Peer, year
from test_sync_push import Radicale

PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
HELPER = os.path.join(PLUGIN_BUILD_DIR, "agendad-ical-import")
UTC = dt.timezone.utc
# The plugin's `timezone` below: where floating times are, and where an
# all-day event's days begin (members.yaml gives no member a zone here).
ZONE = "Europe/Paris"

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
feeds:
  window_from: "-30d"
  window_to: "+800d"
categories:
  - id: digitalisation
    name: {fr: "Digitalisation"}
plugins:
  directory: %(plugins)s
  load:
    sync:
      helper: %(helper)s
      timezone: Europe/Paris
      connect_timeout: 2s
      timeout: 5s
      max_backoff: 1s
"""


def vcal(*events):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//member//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n")


def vevent(uid, summary, start, end, extra=""):
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:{summary}\r\n"
            f"DTSTART{start}\r\nDTEND{end}\r\n{extra}END:VEVENT\r\n")


def own_events(y, all_day=True, open_ended=True):
    """The member's own calendar, one VCALENDAR per event (a CalDAV
    resource each): what counts and what does not."""
    cals = {
        "busy": vevent("busy@m", "Réunion", f":{y}0111T090000Z", f":{y}0111T100000Z"),
        "free": vevent("free@m", "Libre", f":{y}0111T110000Z", f":{y}0111T120000Z",
                       "TRANSP:TRANSPARENT\r\n"),
        "off": vevent("off@m", "Annulée", f":{y}0111T130000Z", f":{y}0111T140000Z",
                      "STATUS:CANCELLED\r\n"),
        "secret": vevent("secret@m", "Rendez-vous secret", f":{y}0112T090000Z",
                         f":{y}0112T103000Z", "CLASS:PRIVATE\r\n"),
        "maybe": vevent("maybe@m", "Peut-être", f":{y}0113T090000Z", f":{y}0113T100000Z",
                        "STATUS:TENTATIVE\r\n"),
        # Across the change to summer time on the last Sunday of March.
        "weekly": vevent("weekly@m", "Permanence", f";TZID=Europe/Paris:{y}0322T100000",
                         f";TZID=Europe/Paris:{y}0322T110000",
                         f"RRULE:FREQ=WEEKLY;COUNT=5\r\n"
                         f"EXDATE;TZID=Europe/Paris:{y}0329T100000\r\n")
        + vevent("weekly@m", "Permanence déplacée", f";TZID=Europe/Paris:{y}0405T150000",
                 f";TZID=Europe/Paris:{y}0405T160000",
                 f"RECURRENCE-ID;TZID=Europe/Paris:{y}0405T100000\r\n")
        + vevent("weekly@m", "Permanence annulée", f";TZID=Europe/Paris:{y}0412T100000",
                 f";TZID=Europe/Paris:{y}0412T110000",
                 f"RECURRENCE-ID;TZID=Europe/Paris:{y}0412T100000\r\nSTATUS:CANCELLED\r\n"),
    }
    if all_day:
        cals["holiday"] = vevent("holiday@m", "Congé", f";VALUE=DATE:{y}0203",
                                 f";VALUE=DATE:{y}0205")
    if open_ended:
        cals["monthly"] = vevent("monthly@m", "Comité privé", f":{y}0120T080000Z",
                                 f":{y}0120T090000Z",
                                 "RRULE:FREQ=MONTHLY\r\nCLASS:CONFIDENTIAL\r\n")
    return {k: vcal(v) for k, v in cals.items()}


def instant(value, zone):
    """A DTSTART/DTEND value as Unix seconds: a date is its midnight in the
    member's zone, a floating time is in the plugin's zone."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return int(value.timestamp())


def expected_busy(texts, start, end, zone=ZONE):
    """Busy time as recurring-ical-events reads the calendars: every
    occurrence over [start, end) but transparent and cancelled ones, as
    (start, end, tentative)."""
    out = []
    window = (dt.datetime.fromtimestamp(start, UTC), dt.datetime.fromtimestamp(end, UTC))
    for text in texts:
        cal = icalendar.Calendar.from_ical(text)
        for ev in recurring_ical_events.of(cal).between(*window):
            status = str(ev.get("STATUS", "")).upper()
            if str(ev.get("TRANSP", "")).upper() == "TRANSPARENT" or status == "CANCELLED":
                continue
            s = ev["DTSTART"].dt
            e = ev["DTEND"].dt if "DTEND" in ev else s + ev["DURATION"].dt
            s, e = instant(s, zone), instant(e, zone)
            if e > s and e > start and s < end:
                out.append((s, e, 1 if status == "TENTATIVE" else 0))
    return sorted(out)


def subtract(busy, minus):
    """busy without what minus covers, each piece keeping its flag."""
    out = []
    for s, e, t in busy:
        pieces = [(s, e)]
        for ms, me in minus:
            pieces = [p for a, b in pieces
                      for p in ((a, min(b, ms)), (max(a, me), b)) if p[1] > p[0]]
        out += [(a, b, t) for a, b in pieces]
    return sorted(out)


class BusyTest(unittest.TestCase):
    """A daemon with the sync plugin; each test writes members.yaml."""

    members_yaml = ""
    events_yaml = None

    def setUp(self):
        self.cfg = tempfile.mkdtemp(prefix="agendad-busy-cfg-")
        self.addCleanup(shutil.rmtree, self.cfg, ignore_errors=True)
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.cleanup()

    def start(self, members_yaml, events_yaml=None, helper=HELPER):
        with open(os.path.join(self.cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"plugins": PLUGIN_BUILD_DIR, "helper": helper})
        with open(os.path.join(self.cfg, "members.yaml"), "w") as f:
            f.write(members_yaml)
        if events_yaml:
            os.mkdir(os.path.join(self.cfg, "events"))
            with open(os.path.join(self.cfg, "events", "network.yaml"), "w") as f:
                f.write(events_yaml)
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def status(self, member):
        code, _, body = self.daemon.get("/plugins/sync/status")
        self.assertEqual(code, 200)
        for m in json.loads(body)["members"]:
            if m["member"] == member:
                return m
        self.fail(f"no status for {member}: {body!r}")

    def wait_status(self, member, pred, timeout=30):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status(member)
            if pred(st):
                return st
            time.sleep(0.1)
        self.fail(f"status of {member} never matched: {st}\n{self.daemon.log_text()}")

    def rows(self, member, source):
        db = sqlite3.connect(self.daemon.state)
        try:
            return sorted(db.execute("SELECT start, end, tentative FROM busy_intervals WHERE "
                                     "member = ? AND source = ?", (member, source)).fetchall())
        finally:
            db.close()

    def read(self, member, source):
        """(read_at, window_from, window_to) of the last read, or None."""
        db = sqlite3.connect(self.daemon.state)
        try:
            return db.execute("SELECT read_at, window_from, window_to FROM busy_sources WHERE "
                              "member = ? AND source = ?", (member, source)).fetchone()
        finally:
            db.close()

    def busy_columns(self):
        db = sqlite3.connect(self.daemon.state)
        try:
            return [r[1] for r in db.execute("PRAGMA table_info(busy_intervals)")]
        finally:
            db.close()

    def assert_nothing_private_in_feeds(self, member):
        for path in ("/feeds/network.ics", f"/feeds/members/{member}.ics"):
            code, _, body = self.daemon.get(path)
            self.assertEqual(code, 200, path)
            text = body.decode()
            for word in ("secret", "Rendez-vous secret", "Comité privé", "monthly@m"):
                self.assertNotIn(word, text, path)
        self.assertNotIn("Rendez-vous secret", self.daemon.log_text())


# ----------------------------------------------------------------- feeds

FEED_MEMBERS = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    feed_url: %(base)s/fes-meknes.ics
    sync:
      interval: 1s
      network: true
  - id: oriental
    kind: region
    name: {fr: "Région de l'Oriental"}
    feed_url: %(base)s/oriental.ics
    sync:
      interval: 1h
"""


class FeedBusyTest(BusyTest):
    def setUp(self):
        super().setUp()
        self.peer = Peer()
        self.addCleanup(self.peer.stop)
        self.y = year()
        self.cals = own_events(self.y)
        self.feed = vcal(*(c[c.index("BEGIN:VEVENT"):c.rindex("END:VCALENDAR")]
                           for c in self.cals.values()))
        self.peer.write("fes-meknes.ics", self.feed)
        self.peer.write("oriental.ics", vcal(vevent("o@o", "O", f":{self.y}0301T100000Z",
                                                    f":{self.y}0301T110000Z")))
        self.start(FEED_MEMBERS % {"base": self.peer.base})

    def pulled(self, member="fes-meknes"):
        return self.wait_status(member, lambda s: s["last_success"] and not s["busy"])

    def test_a_pull_stores_the_busy_time_of_every_event_that_counts(self):
        st = self.pulled()
        self.assertIsNone(st["last_error"])
        read = self.wait_for_read("fes-meknes")
        read_at, start, end = read
        self.assertLessEqual(abs(read_at - time.time()), 60)
        self.assertLessEqual(abs(start - (time.time() - 86400)), 60)  # from a day back
        self.assertGreater(end, time.time() + 700 * 86400)  # window_future: two years on
        got = self.rows("fes-meknes", "feed")
        want = expected_busy([self.feed], start, end)
        self.assertEqual(got, want)
        y = self.y
        paris = zoneinfo.ZoneInfo(ZONE)

        def at(*a, tz=UTC):
            return int(dt.datetime(y, *a, tzinfo=tz).timestamp())
        # The facts behind that equality, one by one.
        self.assertIn((at(1, 11, 9), at(1, 11, 10), 0), got)  # busy
        self.assertFalse([r for r in got if r[0] == at(1, 11, 11)])  # transparent
        self.assertFalse([r for r in got if r[0] == at(1, 11, 13)])  # cancelled
        self.assertIn((at(1, 12, 9), at(1, 12, 10, 30), 0), got)  # private: times only
        self.assertIn((at(1, 13, 9), at(1, 13, 10), 1), got)  # tentative
        self.assertIn((at(2, 3, 0, tz=paris), at(2, 5, 0, tz=paris), 0), got)  # all-day, Paris
        monthly = [r for r in got if dt.datetime.fromtimestamp(r[0], UTC).day == 20
                   and dt.datetime.fromtimestamp(r[0], UTC).time() == dt.time(8)]
        self.assertGreaterEqual(len(monthly), 20)  # open-ended, to the window's end
        weekly = [r for r in got if at(3, 20) <= r[0] < at(4, 30) and r not in monthly]
        self.assertEqual([r[0] for r in weekly],
                         [at(3, 22, 10, tz=paris), at(4, 5, 15, tz=paris),
                          at(4, 19, 10, tz=paris)])  # EXDATE, moved, cancelled, last
        # Times only: the table has no room for anything else.
        self.assertEqual(self.busy_columns(), ["member", "source", "start", "end", "tentative"])
        # The events published are what they were: the transparent and the
        # cancelled ones, never the private ones.
        fes = self.daemon.get("/feeds/members/fes-meknes.ics")[2].decode()
        self.assertIn("Libre", fes)
        self.assertIn("Annulée", fes)
        self.assert_nothing_private_in_feeds("fes-meknes")
        # The other member's feed, its own busy time.
        self.pulled("oriental")
        self.assertEqual(self.rows("oriental", "feed"),
                         [(at(3, 1, 10), at(3, 1, 11), 0)])

    def wait_for_read(self, member, source="feed", after=0, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.read(member, source)
            if r and r[0] > after:
                return r
            time.sleep(0.1)
        self.fail(f"{member}'s {source} was never read:\n{self.daemon.log_text()}")

    def test_a_failed_pull_keeps_the_last_good_busy_time(self):
        self.pulled()
        before = self.rows("fes-meknes", "feed")
        read = self.wait_for_read("fes-meknes")
        self.assertTrue(before)
        self.peer.write("fes-meknes.ics", self.feed.replace("END:VCALENDAR", ""))
        self.wait_status("fes-meknes", lambda s: s["last_error"] and s["failures"] >= 2)
        self.assertEqual(self.rows("fes-meknes", "feed"), before)
        self.assertEqual(self.read("fes-meknes", "feed"), read)

    def test_an_unchanged_feed_keeps_its_busy_time_and_a_changed_one_replaces_it(self):
        self.pulled()
        first = self.wait_for_read("fes-meknes")
        # 304s: nothing is read again, nothing written.
        n = self.status("fes-meknes")["not_modified"]
        self.wait_status("fes-meknes", lambda s: s["not_modified"] >= n + 2)
        self.assertEqual(self.read("fes-meknes", "feed"), first)
        # The member frees a morning: replaced as a whole.
        self.cals.pop("busy")
        feed = vcal(*(c[c.index("BEGIN:VEVENT"):c.rindex("END:VCALENDAR")]
                      for c in self.cals.values()))
        time.sleep(1.1)  # a later read_at (seconds)
        self.peer.write("fes-meknes.ics", feed)
        _, start, end = self.wait_for_read("fes-meknes", after=first[0])
        self.assertEqual(self.rows("fes-meknes", "feed"), expected_busy([feed], start, end))

    def test_removed_feeds_and_members_are_forgotten(self):
        self.pulled()
        self.pulled("oriental")
        self.assertTrue(self.rows("fes-meknes", "feed"))
        self.assertTrue(self.rows("oriental", "feed"))
        # oriental keeps its entry without a feed_url; fes-meknes is gone.
        self.daemon.write("members.yaml", "members:\n  - id: oriental\n    kind: region\n"
                          "    name: {fr: \"Région de l'Oriental\"}\n")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (self.read("fes-meknes", "feed")
                                               or self.read("oriental", "feed")):
            time.sleep(0.1)
        self.assertEqual(self.rows("fes-meknes", "feed"), [])
        self.assertIsNone(self.read("fes-meknes", "feed"))
        self.assertEqual(self.rows("oriental", "feed"), [])
        self.assertIsNone(self.read("oriental", "feed"))


class OldHelperTest(BusyTest):
    def test_a_helper_that_prints_no_busy_time_is_told_apart(self):
        """The plugin and its parser are built together; an older parser
        named by `helper:` (it printed an array) fails the pull in words,
        and neither events nor busy time change."""
        old = os.path.join(self.cfg, "old-helper")
        with open(old, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\necho '[]'\n")
        os.chmod(old, 0o755)
        peer = Peer()
        self.addCleanup(peer.stop)
        peer.write("fes-meknes.ics", vcal(vevent("a@m", "A", ":20300101T100000Z",
                                                 ":20300101T110000Z")))
        self.start(FEED_MEMBERS % {"base": peer.base}, helper=old)
        st = self.wait_status("fes-meknes", lambda s: s["last_error"])
        self.assertIn("older than this sync plugin", st["last_error"])
        self.assertIsNone(self.read("fes-meknes", "feed"))


# ---------------------------------------------------------------- CalDAV

CALDAV_MEMBERS = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    sync:
      interval: %(interval)s
      caldav:
        url: %(url)s%(auth)s
  - id: oriental
    kind: region
    name: {fr: "Région de l'Oriental"}
"""


def network_events(y):
    """A network event for fes-meknes, which the plugin pushes into its
    collection, and one that is not for it."""
    return f"""\
- uid: net-workshop
  title: {{fr: "Atelier du réseau"}}
  start: {y}-01-14T09:30
  end: {y}-01-14T12:30
  host: fes-meknes
  audience: [fes-meknes]
- uid: net-other
  title: {{fr: "Pas pour Fès"}}
  start: {y}-01-15T09:30
  end: {y}-01-15T12:30
  host: oriental
  audience: [oriental]
"""


def network_workshop(y):
    """net-workshop's time: 09:30-12:30 in Africa/Casablanca."""
    z = zoneinfo.ZoneInfo("Africa/Casablanca")
    return (int(dt.datetime(y, 1, 14, 9, 30, tzinfo=z).timestamp()),
            int(dt.datetime(y, 1, 14, 12, 30, tzinfo=z).timestamp()))


def parse_duration(text):
    m = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text)
    w, d, h, mi, sec = (int(x or 0) for x in m.groups())
    return (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + sec


def parse_freebusy(text):
    """The FREEBUSY periods of a VFREEBUSY as (start, end, tentative), read
    by hand: python3-icalendar 4.0.3 refuses the TZID parameter xandikos
    writes on them. FREE periods are left out."""
    out = []
    for line in re.sub(r"\r?\n[ \t]", "", text).splitlines():
        name, _, value = line.partition(":")
        if name.split(";")[0] != "FREEBUSY":
            continue
        params = dict(p.split("=", 1) for p in name.split(";")[1:])
        kind = params.get("FBTYPE", "BUSY")
        if kind == "FREE":
            continue
        for period in value.split(","):
            a, b = period.split("/")
            s = int(dt.datetime.strptime(a, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())
            e = (s + parse_duration(b) if b.startswith("P") else
                 int(dt.datetime.strptime(b, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()))
            out.append((s, e, 1 if kind == "BUSY-TENTATIVE" else 0))
    return sorted(out)


class Xandikos:
    """xandikos (Debian 12: 0.2.8) on a free loopback port, no
    authentication, its default calendar at /user/calendars/calendar/."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agendad-xandikos-")
        self.port = free_port()
        self.path = "/user/calendars/calendar/"
        self.url = f"http://127.0.0.1:{self.port}{self.path}"
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(["xandikos", "-d", os.path.join(self.dir, "root"),
                                      "--defaults", "-l", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.request("PROPFIND", self.path, headers={"Depth": "0"})[0] == 207:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("xandikos did not start")
            time.sleep(0.1)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def put(self, name, body):
        status = self.request("PUT", self.path + name, body.encode(),
                              {"Content-Type": "text/calendar"})[0]
        assert status in (201, 204), status

    def freebusy(self, start, end):
        """The server's own free/busy over [start, end), as agendad asks it."""
        fmt = "%Y%m%dT%H%M%SZ"
        body = ('<?xml version="1.0" encoding="utf-8"?><C:free-busy-query '
                'xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="%s" end="%s"/>'
                '</C:free-busy-query>' % (time.strftime(fmt, time.gmtime(start)),
                                          time.strftime(fmt, time.gmtime(end))))
        status, text = self.request("REPORT", self.path, body.encode(),
                                    {"Depth": "1", "Content-Type": "application/xml"})
        assert status == 200, status
        return parse_freebusy(text)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class CalDAVBusyTest(BusyTest):
    def caldav_read(self, after=None, timeout=30):
        """The member's status once a read of its collection ended (after
        the last_attempt `after`, when given)."""
        return self.wait_status(
            "fes-meknes",
            lambda s: s.get("caldav_read") and s["caldav_read"]["last_attempt"]
            and s["caldav_read"]["last_attempt"] != after and not s["caldav_read"]["busy"],
            timeout)

    def read_after_push(self):
        """The status of a read that began once agendad's own event was in
        the collection."""
        pushed = self.wait_status("fes-meknes", lambda s: s["push"]["pushed"] >= 1)
        done = pushed["push"]["last_success"]
        return self.wait_status(
            "fes-meknes",
            lambda s: s["caldav_read"]["last_attempt"] and s["caldav_read"]["last_attempt"] > done
            and not s["caldav_read"]["busy"])


class XandikosTest(CalDAVBusyTest):
    """free-busy-query: the server computes the busy periods."""

    def setUp(self):
        super().setUp()
        self.dav = Xandikos()
        self.addCleanup(self.dav.stop)
        self.y = year()
        # xandikos 0.2.8 cannot give free/busy for an event without an end.
        for name, text in own_events(self.y, open_ended=False).items():
            self.dav.put(name + ".ics", text)
        self.start(CALDAV_MEMBERS % {"interval": "2s", "url": self.dav.url, "auth": ""},
                   network_events(self.y))

    def test_the_servers_free_busy_without_the_networks_own_events(self):
        st = self.read_after_push()["caldav_read"]
        self.assertIsNone(st["last_error"], self.daemon.log_text())
        self.assertEqual(st["method"], "free-busy-query")
        _, start, end = self.read("fes-meknes", "caldav")
        got = self.rows("fes-meknes", "caldav")
        workshop = network_workshop(self.y)
        # The server's own answer (agendad's pushed event in it by now),
        # the network's event taken out.
        server = self.dav.freebusy(start, end)
        self.assertTrue([r for r in server if r[:2] == workshop], server)
        self.assertEqual(got, subtract(server, [workshop]))
        y = self.y

        def at(*a):
            return int(dt.datetime(y, *a, tzinfo=UTC).timestamp())
        self.assertIn((at(1, 11, 9), at(1, 11, 10), 0), got)  # busy
        self.assertIn((at(1, 12, 9), at(1, 12, 10, 30), 0), got)  # private
        self.assertIn((at(1, 13, 9), at(1, 13, 10), 1), got)  # tentative
        for hour in (11, 13):  # transparent, cancelled
            self.assertFalse([r for r in got if r[0] == at(1, 11, hour)])
        self.assertFalse([r for r in got if r[0] < workshop[1] and r[1] > workshop[0]])
        self.assert_nothing_private_in_feeds("fes-meknes")


class RadicaleTest(CalDAVBusyTest):
    """calendar-query: Radicale 3.1.8 answers free-busy-query with a
    multistatus, so the plugin reads each event's times and expands them."""

    def setUp(self):
        super().setUp()
        self.dav = Radicale()
        self.addCleanup(self.dav.stop)
        self.y = year()
        self.cals = own_events(self.y)
        for name, text in self.cals.items():
            self.dav.put(f"/fes/cal/{name}.ics", text)
        with open(os.path.join(self.cfg, "fes.secret"), "w") as f:
            f.write("s3cret-fes-pass\n")
        auth = f"\n        username: fes\n        password_file: {self.cfg}/fes.secret"
        self.members = CALDAV_MEMBERS % {"interval": "2s", "url": self.dav.base + "/fes/cal/",
                                         "auth": auth}
        self.start(self.members, network_events(self.y))

    def reports(self):
        """The REPORTs agendad sent (Radicale logs them with their depth)."""
        with open(self.dav.log_path, encoding="utf-8", errors="replace") as f:
            return len(re.findall(r"REPORT request for '/fes/cal/' with depth '1' received from "
                                  r"\S+ using 'agendad/", f.read()))

    def test_calendar_query_expanded_without_the_networks_own_events(self):
        st = self.read_after_push()["caldav_read"]
        self.assertIsNone(st["last_error"], self.daemon.log_text())
        self.assertEqual(st["method"], "calendar-query")
        self.assertEqual(st["unreadable_resources"], 0)
        _, start, end = self.read("fes-meknes", "caldav")
        got = self.rows("fes-meknes", "caldav")
        self.assertEqual(got, expected_busy(self.cals.values(), start, end))
        workshop = network_workshop(self.y)
        self.assertFalse([r for r in got if r[0] < workshop[1] and r[1] > workshop[0]])
        # Pushed by agendad before that read, and left out all the same.
        self.assertEqual(self.dav.get("/fes/cal/agendad-net-workshop.ics")[0], 200)
        self.assert_nothing_private_in_feeds("fes-meknes")
        self.assertNotIn("s3cret-fes-pass", self.daemon.log_text())
        out = self.daemon.run_cli("sync", "status")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("  read with:    calendar-query\n", out.stdout)
        self.assertIn("  read error:   none\n", out.stdout)

    def test_no_free_busy_is_remembered_and_a_removed_collection_forgotten(self):
        first = self.caldav_read()["caldav_read"]["last_attempt"]
        self.assertEqual(self.reports(), 2)  # free-busy-query, then calendar-query
        # The next reads (every 2 s) ask calendar-query only.
        st = self.caldav_read(after=first, timeout=20)["caldav_read"]
        self.caldav_read(after=st["last_attempt"], timeout=20)
        self.assertEqual(self.reports(), 4, self.daemon.log_text())
        self.assertTrue(self.rows("fes-meknes", "caldav"))
        # The admin removes sync.caldav: what it said is forgotten.
        self.daemon.write("members.yaml", self.members[:self.members.index("    sync:")]
                          + self.members[self.members.index("  - id: oriental"):])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.read("fes-meknes", "caldav"):
            time.sleep(0.1)
        self.assertIsNone(self.read("fes-meknes", "caldav"))
        self.assertEqual(self.rows("fes-meknes", "caldav"), [])


if __name__ == "__main__":
    unittest.main()
