#!/usr/bin/python3
"""Writes a synthetic config directory: the sample network's agendad.yaml and
members.yaml, plus N events with 8 timed agenda slots each, in YAML.

    gen_config.py N OUTDIR

The events are spread over 2023-2028 (inside the sample's feed window), hosted
by the sample's members, in both languages. events() gives the same data to
the python3-icalendar peer, so that both build the same calendar."""

import datetime as dt
import os
import shutil
import sys

import yaml

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config")
# libyaml's emitter: the pure-Python one takes minutes for 100,000 events.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
KINDS = ["reception", "opening", "talk", "workshop", "break", "session", "presentation", "closing"]
CATEGORIES = ["access-to-information", "transparency-accountability", "citizen-participation",
              "digitalisation"]


def members():
    with open(os.path.join(SOURCE, "members.yaml"), encoding="utf-8") as f:
        return [m["id"] for m in yaml.safe_load(f)["members"]]


def events(n):
    """n events as plain dicts (local wall-clock times, Africa/Casablanca)."""
    hosts = members()
    first = dt.date(2023, 1, 2)
    span = (dt.date(2028, 6, 30) - first).days
    out = []
    for i in range(n):
        day = first + dt.timedelta(days=(i * 7919) % span)
        start = dt.datetime.combine(day, dt.time(8 + i % 3, 0))
        slots = []
        for k in range(8):
            s = start + dt.timedelta(minutes=30 * k)
            slots.append({"start": s.strftime("%H:%M"), "end": (s + dt.timedelta(minutes=30)).strftime("%H:%M"),
                          "title": {"ar": f"فقرة {k + 1} من النشاط {i}", "fr": f"Séquence {k + 1} de l'activité {i}"},
                          "kind": KINDS[k]})
        out.append({
            "uid": f"bench-{i:06d}",
            "title": {"ar": f"ورشة الانفتاح رقم {i}", "fr": f"Atelier d'ouverture n° {i}"},
            "description": {"ar": "ورشة للإعداد المشترك لبرنامج عمل الانفتاح، بمشاركة الهيئات الاستشارية.",
                            "fr": "Atelier de co-création du programme d'action d'ouverture, avec les instances consultatives."},
            "location": {"ar": "مقر مجلس الجهة", "fr": "Siège du Conseil régional"},
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "host": hosts[i % len(hosts)],
            "audience": ["network"],
            "categories": [CATEGORIES[i % 4], CATEGORIES[(i + 1) % 4]],
            "agenda": slots,
        })
    return out


def write(n, outdir):
    os.makedirs(os.path.join(outdir, "events"), exist_ok=True)
    for name in ("agendad.yaml", "members.yaml"):
        shutil.copy(os.path.join(SOURCE, name), os.path.join(outdir, name))
    evs = events(n)
    # agendad refuses files over 4 MiB: a thousand events per file.
    for k in range(0, n, 1000):
        with open(os.path.join(outdir, "events", f"bench-{k // 1000:03d}.yaml"), "w",
                  encoding="utf-8") as f:
            yaml.dump(evs[k:k + 1000], f, Dumper=DUMPER, allow_unicode=True, sort_keys=False,
                      width=1000)


if __name__ == "__main__":
    write(int(sys.argv[1]), sys.argv[2])
