"""The sync plugin against a real HTTP server serving members' .ics files
(tests/peers/ics_peer.py) that the test rewrites between pulls."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from harness import Daemon, SOURCE_DIR

PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
HELPER = os.path.join(PLUGIN_BUILD_DIR, "agendad-ical-import")
CRASH_MARKER = "X-AGENDAD-TEST-CRASH-NOW"

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
network:
  name: {fr: "RMCTO"}
feeds:
  window_from: "-30d"
  window_to: "+800d"
categories:
  - id: digitalisation
    name: {ar: "الرقمنة", fr: "Digitalisation"}
    axis: true
  - id: citizen-participation
    name: {fr: "Participation citoyenne"}
    axis: true
plugins:
  directory: %(plugins)s
  load:
    sync:
      helper: %(helper)s
      connect_timeout: 2s
      timeout: 3s
      max_size: "8388608"
      parser_cpu: "1"
      parser_memory: "256"
      max_backoff: 1s
"""

MEMBERS_YAML = """\
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
      interval: 1s
      network_categories: [digitalisation]
"""

WINDOWS_ZONE = """\
BEGIN:VTIMEZONE\r
TZID:Romance Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
"""


def write_sync_config(cfg, members_yaml, helper=HELPER, parser_cpu=1, sync_extra=""):
    """cfg's agendad.yaml (the sync plugin; sync_extra: more lines of its
    options) and members.yaml."""
    text = AGENDAD_YAML.replace('parser_cpu: "1"', f'parser_cpu: "{parser_cpu}"')
    with open(os.path.join(cfg, "agendad.yaml"), "w") as f:
        f.write(text % {"plugins": PLUGIN_BUILD_DIR, "helper": helper} + sync_extra)
    with open(os.path.join(cfg, "members.yaml"), "w") as f:
        f.write(members_yaml)


def year():
    return time.gmtime().tm_year + 1


def calendar(*events, zones=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0//EN\r\n"
            + zones + "".join(events) + "END:VCALENDAR\r\n")


def vevent(uid, summary, start, end=None, extra=""):
    lines = ["BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20250101T000000Z", "SUMMARY:" + summary,
             "DTSTART" + start]
    if end:
        lines.append("DTEND" + end)
    return "\r\n".join(lines) + "\r\n" + extra + "END:VEVENT\r\n"


def fes_feed(summary="Atelier de co-création", with_second=True):
    y = year()
    evs = [vevent("workshop-1@fes.example", summary, f":{y}0310T093000Z", f":{y}0310T123000Z",
                  "CATEGORIES:Digitalisation\r\nATTENDEE;CN=Agent:mailto:agent@fes.example\r\n"
                  "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:x\r\n"
                  "END:VALARM\r\n")]
    if with_second:
        evs.append(vevent("second@fes.example", "Deuxième réunion", f";VALUE=DATE:{y}0420"))
    return calendar(*evs)


def oriental_feed(*extra):
    y = year()
    series = vevent("weekly@oriental.example", "Permanence",
                    f";TZID=Romance Standard Time:{y}0104T100000",
                    f";TZID=Romance Standard Time:{y}0104T110000",
                    f"RRULE:FREQ=WEEKLY;COUNT=4\r\n"
                    f"EXDATE;TZID=Romance Standard Time:{y}0111T100000\r\n"
                    "CATEGORIES:Digitalisation\r\n")
    moved = vevent("weekly@oriental.example", "Permanence déplacée",
                   f";TZID=Romance Standard Time:{y}0118T140000",
                   f";TZID=Romance Standard Time:{y}0118T150000",
                   f"RECURRENCE-ID;TZID=Romance Standard Time:{y}0118T100000\r\n")
    private = vevent("private@oriental.example", "Secret", f":{y}0301T100000Z",
                     f":{y}0301T110000Z", "CLASS:PRIVATE\r\n")
    other = vevent("other@oriental.example", "Hors réseau", f":{y}0302T100000Z",
                   f":{y}0302T110000Z")
    return calendar(series, moved, private, other, *extra, zones=WINDOWS_ZONE)


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read()
    except OSError:
        return None


def children(pid):
    """The pids whose parent is pid, zombies included."""
    found = []
    for entry in os.listdir("/proc"):
        stat = proc_state(entry) if entry.isdigit() else None
        # The command name, in parentheses, may hold spaces: fields after it.
        if stat and int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry))
    return found


class Peer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="agendad-ics-")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(SOURCE_DIR, "tests/peers/ics_peer.py"), "0", self.dir],
            stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"

    def write(self, name, text):
        tmp = os.path.join(self.dir, name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, os.path.join(self.dir, name))

    def stats(self):
        import urllib.request
        with urllib.request.urlopen(self.base + "/_stats", timeout=10) as r:
            return json.load(r)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class SyncTest(unittest.TestCase):
    def setUp(self):
        os.environ["AGENDAD_IMPORT_CRASH_MARKER"] = CRASH_MARKER
        self.peer = Peer()
        self.peer.write("fes-meknes.ics", fes_feed())
        self.peer.write("oriental.ics", oriental_feed())
        self.cfg = tempfile.mkdtemp(prefix="agendad-sync-cfg-")
        self.write_config(self.peer.base)
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def tearDown(self):
        self.daemon.cleanup()
        self.peer.stop()

    def write_config(self, base, members=MEMBERS_YAML, helper=HELPER, parser_cpu=1):
        write_sync_config(self.cfg, members % {"base": base}, helper, parser_cpu)

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

    def feed(self, path):
        code, _, body = self.daemon.get(path)
        self.assertEqual(code, 200, body)
        return body.decode()

    def wait_first_pull(self):
        self.wait_status("fes-meknes", lambda s: s["events"] == 2 and s["last_success"])
        self.wait_status("oriental", lambda s: s["events"] == 4 and s["last_success"])

    # -------------------------------------------------------------- pull

    def test_imported_events_reach_member_and_network_feeds(self):
        self.wait_first_pull()
        fes = self.feed("/feeds/members/fes-meknes.ics")
        self.assertIn("SUMMARY;LANGUAGE=fr:Atelier de co-création", fes)
        self.assertIn("UID:fes-meknes:workshop-1@fes.example", fes)
        self.assertIn("X-AGENDAD-IMPORTED-FROM:fes-meknes", fes)
        self.assertIn("CONTACT;LANGUAGE=fr:Région Fès-Meknès", fes)
        # Private data of the source is not republished.
        self.assertNotIn("agent@fes.example", fes)
        self.assertNotIn("TRIGGER:-PT15M", fes)
        network = self.feed("/feeds/network.ics")
        self.assertIn("fes-meknes:workshop-1@fes.example", network)  # network: true
        # oriental: only its digitalisation events go to the network feed.
        self.assertIn("oriental:weekly@oriental.example", network)
        self.assertNotIn("other@oriental.example", network)
        self.assertIn("oriental:other@oriental.example", self.feed("/feeds/members/oriental.ics"))
        self.assertIn("fes-meknes:workshop-1", self.feed("/feeds/categories/digitalisation.ics"))

    def test_series_overrides_exdate_and_windows_zone(self):
        self.wait_first_pull()
        y = year()
        ori = self.feed("/feeds/members/oriental.ics")
        # Romance Standard Time is Europe/Paris: 10:00 in January is 09:00Z.
        self.assertIn(f"UID:oriental:weekly@oriental.example~2F{y}0104T090000Z", ori)
        self.assertIn(f"DTSTART:{y}0104T090000Z", ori)
        self.assertNotIn(f"{y}0111T090000Z", ori)  # EXDATE
        self.assertIn("Permanence déplacée", ori)  # RECURRENCE-ID override
        self.assertIn(f"DTSTART:{y}0118T130000Z", ori)
        self.assertIn(f"{y}0125T090000Z", ori)
        self.assertNotIn("Secret", ori)  # CLASS:PRIVATE stays private

    def test_unchanged_feed_costs_a_304_and_writes_nothing(self):
        self.wait_first_pull()
        db = sqlite3.connect(self.daemon.state)
        version = db.execute("PRAGMA data_version").fetchone()[0]
        before = self.status("fes-meknes")["not_modified"]
        self.wait_status("fes-meknes", lambda s: s["not_modified"] >= before + 2)
        self.assertEqual(db.execute("PRAGMA data_version").fetchone()[0], version)
        stats = self.peer.stats()["/fes-meknes.ics"]
        self.assertEqual(stats["200"], 1)
        self.assertGreaterEqual(stats["304"], 2)
        db.close()

    def test_edit_and_delete_at_the_source(self):
        self.wait_first_pull()
        self.peer.write("fes-meknes.ics", fes_feed("Atelier renommé", with_second=False))
        self.wait_status("fes-meknes", lambda s: s["events"] == 1)
        fes = self.feed("/feeds/members/fes-meknes.ics")
        self.assertIn("Atelier renommé", fes)
        self.assertEqual(fes.count("UID:fes-meknes:workshop-1@fes.example"), 1)
        self.assertIn("SEQUENCE:1", fes)
        # Deleted at the source: published as cancelled until it passes.
        gone = fes[fes.index("UID:fes-meknes:second@fes.example"):]
        self.assertIn("STATUS:CANCELLED", gone[:gone.index("END:VEVENT")])

    def test_restart_keeps_the_last_good_copy(self):
        self.wait_first_pull()
        self.daemon.stop()
        self.peer.write("fes-meknes.ics", "not a calendar")
        self.daemon.start()
        self.wait_status("fes-meknes", lambda s: s["last_error"])
        self.assertIn("Atelier de co-création", self.feed("/feeds/members/fes-meknes.ics"))
        out = self.daemon.run_cli("sync", "status")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("fes-meknes", out.stdout)
        self.assertIn("2 events", out.stdout)
        self.assertIn("last error:", out.stdout)

    # ------------------------------------------------- cache invalidation

    def builds(self, kind):
        _, _, body = self.daemon.get("/metrics")
        m = re.search(r'agendad_feed_builds_total\{kind="%s"\} (\d+)' % kind, body.decode())
        return int(m.group(1)) if m else 0

    def etags(self, paths):
        out = {}
        for p in paths:
            code, headers, _ = self.daemon.get(p)
            self.assertEqual(code, 200, p)
            out[p] = headers["etag"]
        return out

    def test_a_pull_drops_only_the_feeds_it_touches(self):
        self.wait_first_pull()
        network, fes, ori = ("/feeds/network.ics", "/feeds/members/fes-meknes.ics",
                             "/feeds/members/oriental.ics")
        cats = ["/feeds/categories/digitalisation.ics",
                "/feeds/categories/citizen-participation.ics"]
        paths = [network, fes, ori] + cats
        before = self.etags(paths)
        builds = {k: self.builds(k) for k in ("network", "member", "category")}
        # A new oriental event without a category: oriental lets only its
        # digitalisation events into the network feed, so only its own feed
        # changes; the others stay cached, same bytes, same ETags.
        y = year()
        self.peer.write("oriental.ics", oriental_feed(
            vevent("new@oriental.example", "Nouvelle", f":{y}0303T100000Z", f":{y}0303T110000Z")))
        self.wait_status("oriental", lambda s: s["events"] == 5)
        after = self.etags(paths)
        self.assertNotEqual(after[ori], before[ori])
        for p in [network, fes] + cats:
            self.assertEqual(after[p], before[p], p)
        self.assertEqual(self.builds("network"), builds["network"])
        self.assertEqual(self.builds("category"), builds["category"])
        self.assertEqual(self.builds("member"), builds["member"] + 1)
        # fes-meknes lets every event into the network feed (network: true),
        # and its edited event is a digitalisation one.
        self.peer.write("fes-meknes.ics", fes_feed("Atelier renommé"))
        deadline = time.monotonic() + 30
        while "Atelier renommé" not in self.feed(fes) and time.monotonic() < deadline:
            time.sleep(0.1)
        again = self.etags(paths)
        for p in [network, fes, cats[0]]:
            self.assertNotEqual(again[p], after[p], p)
        self.assertIn("Atelier renommé", self.feed(network))
        self.assertEqual(again[ori], after[ori])
        self.assertEqual(again[cats[1]], after[cats[1]])

    # ---------------------------------------------------------- failures

    def break_feed(self, text, words, member="fes-meknes", name="fes-meknes.ics"):
        self.peer.write(name, text)
        st = self.wait_status(member, lambda s: s["last_error"] and words in s["last_error"])
        self.assertIn("Atelier de co-création", self.feed("/feeds/members/fes-meknes.ics"))
        self.assertEqual(self.daemon.proc.poll(), None)
        return st

    def test_bad_feeds_keep_the_last_good_copy(self):
        self.wait_first_pull()
        y = year()
        self.break_feed(fes_feed()[:200], "complete iCalendar")  # truncated
        self.break_feed("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
                        "DTSTART:garbage\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                        "malformed")
        self.break_feed(calendar(vevent("endless@fes", "Sans fin", f":{y}0101T100000Z",
                                        extra="RRULE:FREQ=DAILY\r\n")), "no end")
        self.break_feed(calendar(vevent("tz@fes", "Zone", ";TZID=Nowhere/Land:20270101T100000")),
                        "unknown time zone")
        # Back to good: the error clears.
        self.peer.write("fes-meknes.ics", fes_feed())
        self.wait_status("fes-meknes", lambda s: s["last_error"] is None)
        # /metrics counts every pull per member and result.
        status, _, body = self.daemon.get("/metrics")
        self.assertEqual(status, 200)
        metrics = body.decode()
        errors = re.search(r'agendad_plugin_sync_pulls_total\{member="fes-meknes",'
                           r'result="error"\} (\d+)', metrics)
        self.assertIsNotNone(errors, metrics)
        self.assertGreaterEqual(int(errors.group(1)), 4)
        self.assertRegex(metrics, r'agendad_plugin_sync_pulls_total\{member="fes-meknes",'
                                  r'result="changed"\} [1-9]')

    def test_parser_crash_and_runaway_cost_one_pull_only(self):
        self.wait_first_pull()
        y = year()
        self.break_feed(calendar(vevent("boom@fes", "Boom", f":{y}0101T100000Z",
                                        extra=CRASH_MARKER + ":1\r\n")), "crashed")
        # A rule libical 3.0.16 iterates forever inside one step.
        self.break_feed(calendar(vevent("spin@fes", "Spin", f":{y}0101T100000Z",
                                        extra="RRULE:FREQ=SECONDLY;BYYEARDAY=366;BYMONTH=2;"
                                              "COUNT=3\r\n")), "ran out of")
        self.assertEqual(self.daemon.get("/healthz")[0], 200)

    def restart_with_helper(self, helper, parser_cpu=1):
        self.daemon.cleanup()
        self.write_config(self.peer.base, helper=helper, parser_cpu=parser_cpu)
        self.daemon = Daemon(config_src=self.cfg)
        self.daemon.start()

    def test_parsers_leave_no_process_behind(self):
        self.wait_first_pull()
        y = year()
        self.break_feed(calendar(vevent("boom@fes", "Boom", f":{y}0101T100000Z",
                                        extra=CRASH_MARKER + ":1\r\n")), "crashed")
        self.peer.write("fes-meknes.ics", fes_feed("Encore"))
        self.wait_status("fes-meknes", lambda s: s["last_error"] is None and not s["busy"])
        # Every parser, crashed or not, was reaped: no zombie child left.
        deadline = time.monotonic() + 10
        while children(self.daemon.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(children(self.daemon.proc.pid), [])

    def test_missing_helper_is_reported_in_plain_words(self):
        missing = os.path.join(self.cfg, "no-such-import")
        self.restart_with_helper(missing)
        st = self.wait_status("fes-meknes", lambda s: s["last_error"] is not None)
        self.assertIn("cannot start the calendar parser " + missing, st["last_error"])
        self.assertIn("No such file or directory", st["last_error"])
        self.assertEqual(children(self.daemon.proc.pid), [])

    def test_shutdown_kills_and_reaps_a_hung_parser(self):
        pidfile = os.path.join(self.cfg, "parser.pid")
        hung = os.path.join(self.cfg, "hung-import")
        with open(hung, "w") as f:
            # Deaf to SIGTERM, and never reads its input nor exits.
            f.write(f"#!/bin/sh\necho $$ > {pidfile}.tmp\nmv {pidfile}.tmp {pidfile}\n"
                    "trap '' TERM\nexec sleep 600\n")
        os.chmod(hung, 0o755)
        # A deadline (parser_cpu × 3 + 5 s) far beyond stop()'s 20 s: only
        # fini's kill lets the daemon exit (0) in time.
        self.restart_with_helper(hung, parser_cpu=60)
        deadline = time.monotonic() + 20
        while not os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(pidfile) as f:
            pid = int(f.read())
        self.assertIn(pid, children(self.daemon.proc.pid))
        self.assertEqual(self.daemon.stop(), 0, self.daemon.log_text())
        # fini killed it, and the daemon reaped it before it exited.
        self.assertFalse(os.path.exists(f"/proc/{pid}"), proc_state(pid))

    def test_huge_slow_and_dead_servers(self):
        self.wait_first_pull()
        members = MEMBERS_YAML.replace("%(base)s/fes-meknes.ics", "%(base)s/huge.ics?mb=50")
        members = members.replace("%(base)s/oriental.ics", "%(base)s/slow/oriental.ics?ms=6000")
        self.write_config(self.peer.base, members)
        with open(os.path.join(self.cfg, "members.yaml")) as f:
            self.daemon.write("members.yaml", f.read())
        st = self.wait_status("fes-meknes", lambda s: s["last_error"] and "larger" in s["last_error"])
        self.assertEqual(st["events"], 2)
        # While the slow server holds a transfer, feeds answer at once.
        self.wait_status("oriental", lambda s: s["busy"])
        self.assertEqual(self.daemon.get("/feeds/network.ics")[0], 200)
        st = self.wait_status("oriental", lambda s: s["last_error"] is not None)
        self.assertIn("Permanence", self.feed("/feeds/members/oriental.ics"))
        self.assertGreaterEqual(st["failures"], 1)

    def test_redirect_is_followed(self):
        self.wait_first_pull()
        self.daemon.write("members.yaml", (MEMBERS_YAML % {"base": self.peer.base}).replace(
            "/fes-meknes.ics", "/moved/fes-meknes.ics"))
        self.wait_status("fes-meknes", lambda s: "moved" in (s["feed_url"] or "")
                         and s["last_success"] and s["last_error"] is None)


if __name__ == "__main__":
    unittest.main()
