#!/usr/bin/python3
"""The python3-icalendar peer of feed generation: builds the calendar that
agendad builds for the same synthetic events (one VEVENT per event with its
agenda in DESCRIPTION, one per timed slot RELATED-TO it, UTC instants from
the system tzdata) and serialises it. Prints the best CPU time of RUNS.

    peer_icalendar.py N RUNS"""

import datetime as dt
import sys
import time
import zoneinfo

import icalendar

from gen_config import events

TZ = zoneinfo.ZoneInfo("Africa/Casablanca")
UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 1, 1, tzinfo=UTC)


def utc(local, day=None):
    t = dt.datetime.fromisoformat(local) if day is None else dt.datetime.combine(
        day, dt.time.fromisoformat(local))
    return t.replace(tzinfo=TZ).astimezone(UTC)


def build(evs):
    cal = icalendar.Calendar()
    cal.add("prodid", "-//RMCTO//agendad//AR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "الشبكة المغربية للجماعات الترابية المنفتحة")
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for e in evs:
        start = utc(e["start"])
        agenda = "\n".join(f"{s['start']}–{s['end']} {s['title']['ar']}" for s in e["agenda"])
        v = icalendar.Event()
        v.add("uid", e["uid"])
        v.add("dtstamp", STAMP)
        v.add("last-modified", STAMP)
        v.add("sequence", 0)
        v.add("status", "CONFIRMED")
        v.add("dtstart", start)
        v.add("dtend", utc(e["end"]))
        v.add("summary", e["title"]["ar"])
        v.add("description", e["description"]["ar"] + "\n\n" + agenda)
        v.add("location", e["location"]["ar"])
        v.add("categories", e["categories"])
        v.add("organizer", "mailto:noreply@example.org", parameters={"CN": e["host"]})
        cal.add_component(v)
        for k, s in enumerate(e["agenda"], 1):
            sv = icalendar.Event()
            sv.add("uid", f"{e['uid']}/slot-{k}")
            sv.add("dtstamp", STAMP)
            sv.add("sequence", 0)
            sv.add("status", "CONFIRMED")
            sv.add("related-to", e["uid"])
            sv.add("dtstart", utc(s["start"], start.date()))
            sv.add("dtend", utc(s["end"], start.date()))
            sv.add("summary", s["title"]["ar"])
            cal.add_component(sv)
    return cal.to_ical()


def main():
    n, runs = int(sys.argv[1]), int(sys.argv[2])
    evs = events(n)
    best, size = float("inf"), 0
    for _ in range(runs):
        t0 = time.process_time()
        size = len(build(evs))
        best = min(best, time.process_time() - t0)
    print(f"events={n} vevents={9 * n} bytes={size} build_s={best:.4f}")


if __name__ == "__main__":
    main()
