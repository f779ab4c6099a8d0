"""Agenda items keep their identity, and their own SEQUENCE, when the admin
edits an agenda (issue 15, items 2 and 3). The real daemon serves the
sample network; the 2023-03-07 workshop's agenda is edited between reloads
and its feed read back with python3-icalendar.

The daemon runs with its clock on 2023-03-01 (libfaketime), a week before
the workshop: a removed item is published CANCELLED until its event has
passed, as a removed event is.

The workshop's items, as the sample has them (UID EVENT/slot-N, N their
place in the file; 2 and 4 are untimed, so not published on their own):
  1 09:30 Accueil des participants      5 11:10 Atelier sur l'axe 1
  3 10:00 Présentation du Réseau ...    6 11:40 Atelier sur l'axe 2
                                        7 12:10 Pause thé
                                        8 12:30 Atelier sur l'axe 3
                                        9 13:00 Atelier sur l'axe 4"""

import copy
import datetime as dt
import json
import os
import time
import unittest

import icalendar
import yaml

from harness import Daemon

UTC = dt.timezone.utc
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"
FILE = "events/2023-03-07-fes-meknes-cocreation-workshop.yaml"
FEED = f"/events/{WORKSHOP}.ics?lang=fr"
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PUBLISHED = [1, 3, 5, 6, 7, 8, 9]


def slot(n):
    return f"{WORKSHOP}/slot-{n}"


def faked_clock():
    """The environment that runs the daemon on 2023-03-01 (the clock still
    advances, so that LAST-MODIFIED moves between reloads)."""
    env = {"LD_PRELOAD": FAKETIME, "FAKETIME": "@2023-03-01 12:00:00",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    # A sanitizer runtime must not insist on coming first.
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[var] = (os.environ.get(var, "") + ":verify_asan_link_order=0").lstrip(":")
    return env


def quoted(s):
    return json.dumps(s, ensure_ascii=False)


def render(item):
    """One agenda item as YAML (JSON strings are YAML's double-quoted ones)."""
    lines = []
    for key in ("id", "start", "end"):
        if key in item:
            lines.append(f"{key}: {quoted(item[key])}")
    title = ", ".join(f"{lang}: {quoted(t)}" for lang, t in item["title"].items())
    lines.append(f"title: {{{title}}}")
    for key in ("kind", "axis"):
        if key in item:
            lines.append(f"{key}: {item[key]}")
    return "  - " + "\n    ".join(lines) + "\n"


@unittest.skipUnless(os.path.exists(FAKETIME), "libfaketime is not installed")
class AgendaIdentity(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(env=faked_clock()).start()
        text = self.d.read(FILE)
        self.head = text[:text.index("\nagenda:")] + "\nagenda:\n"
        self.agenda = yaml.safe_load(text)["agenda"]
        self.assertEqual(len(self.agenda), 9)
        self.before = self.vevents()

    def tearDown(self):
        # A clean stop: under AddressSanitizer, no report (leaks included)
        # from the reloads that matched, removed and restored items.
        code = self.d.stop()
        log = self.d.log_text()
        self.d.cleanup()
        for report in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(report, log)
        self.assertEqual(code, 0, log[-4000:])

    # ---- helpers ----

    def vevents(self):
        status, _, body = self.d.get(FEED)
        self.assertEqual(status, 200, body)
        return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}

    def edit(self, agenda, event_start=None):
        """Writes the workshop with this agenda, reloads, returns its VEVENTs.
        Sleeps first so that a LAST-MODIFIED that moves shows it."""
        time.sleep(1.1)
        head = self.head
        if event_start:
            head = head.replace("start: 2023-03-07T09:30", f"start: 2023-03-07T{event_start}")
        self.d.write(FILE, head + "".join(render(i) for i in agenda))
        self.d.reload("configuration loaded")
        return self.vevents()

    def item(self, fr):
        return copy.deepcopy(next(i for i in self.agenda if i["title"]["fr"].startswith(fr)))

    def assert_untouched(self, after, uids, before=None):
        """Each VEVENT byte for byte as it was: same title, SEQUENCE, DTSTAMP."""
        before = before or self.before
        for uid in uids:
            self.assertEqual(after[uid].to_ical(), before[uid].to_ical(), uid)

    def assert_moved_on(self, after, uid, before=None, by=1):
        before = before or self.before
        self.assertEqual(int(after[uid]["SEQUENCE"]), int(before[uid]["SEQUENCE"]) + by, uid)
        self.assertGreater(after[uid]["LAST-MODIFIED"].dt, before[uid]["LAST-MODIFIED"].dt, uid)
        self.assertEqual(after[uid]["DTSTAMP"].dt, after[uid]["LAST-MODIFIED"].dt, uid)

    def summary(self, events, uid):
        return str(events[uid]["SUMMARY"])

    def local_start(self, events, uid):
        return events[uid]["DTSTART"].dt.astimezone(dt.timezone(dt.timedelta(hours=1)))

    # ---- the sample as it is ----

    def test_the_sample_publishes_items_by_their_place(self):
        self.assertEqual(sorted(u for u in self.before if u != WORKSHOP),
                         sorted(slot(n) for n in PUBLISHED))
        self.assertEqual(self.summary(self.before, slot(7)), "Pause thé")
        # Writing the same agenda back changes nothing at all.
        after = self.edit(self.agenda)
        self.assert_untouched(after, [WORKSHOP] + [slot(n) for n in PUBLISHED])

    # ---- item 2: SEQUENCE of the items that did not change ----

    def test_renaming_one_item_moves_only_its_own_and_its_events_sequence(self):
        agenda = copy.deepcopy(self.agenda)
        agenda[6]["title"] = {"ar": "استراحة قهوة", "fr": "Pause café"}
        after = self.edit(agenda)
        self.assert_moved_on(after, WORKSHOP)  # its description lists the agenda
        self.assert_moved_on(after, slot(7))
        self.assertEqual(self.summary(after, slot(7)), "Pause café")
        self.assert_untouched(after, [slot(n) for n in PUBLISHED if n != 7])

    # ---- item 3: identity through edits ----

    def test_insert_at_the_top(self):
        coffee = {"start": "09:00", "end": "09:30", "kind": "reception",
                  "title": {"ar": "قهوة الترحيب", "fr": "Café de bienvenue"}}
        after = self.edit([coffee] + self.agenda, event_start="09:00")
        self.assert_moved_on(after, WORKSHOP)
        self.assert_untouched(after, [slot(n) for n in PUBLISHED])
        new = set(after) - set(self.before)
        self.assertEqual(new, {slot(10)})  # a number never given before
        self.assertEqual(self.summary(after, slot(10)), "Café de bienvenue")
        self.assertEqual(int(after[slot(10)]["SEQUENCE"]), 0)
        self.assertEqual(str(after[slot(10)]["STATUS"]), "CONFIRMED")

    def test_delete_in_the_middle(self):
        agenda = [i for i in self.agenda if not i["title"]["fr"].startswith("Atelier sur l'axe 1")]
        after = self.edit(agenda)
        self.assert_moved_on(after, WORKSHOP)
        gone = after[slot(5)]
        self.assertEqual(str(gone["STATUS"]), "CANCELLED")
        self.assertEqual(str(gone["SUMMARY"]), "Atelier sur l'axe 1 : accès à l'information")
        self.assert_moved_on(after, slot(5))
        self.assert_untouched(after, [slot(n) for n in PUBLISHED if n != 5])
        # For Google (cancelled=visible), the removed item stays, marked.
        status, _, body = self.d.get(FEED + ("&" if "?" in FEED else "?") + "cancelled=visible")
        self.assertEqual(status, 200, body)
        shown = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
        self.assertEqual(str(shown[slot(5)]["STATUS"]), "CONFIRMED")
        self.assertEqual(str(shown[slot(5)]["TRANSP"]), "TRANSPARENT")
        self.assertTrue(str(shown[slot(5)]["SUMMARY"]).startswith("[Annulé] "))
        self.assertNotIn("TRANSP", shown[slot(next(n for n in PUBLISHED if n != 5))])

        # Another edit leaves the cancelled item as it is, and a new item
        # does not take its number.
        lunch = {"start": "13:30", "end": "14:30", "kind": "meal",
                 "title": {"ar": "غداء", "fr": "Déjeuner"}}
        head = self.head
        self.head = head.replace("end: 2023-03-07T13:30", "end: 2023-03-07T14:30")
        later = self.edit(agenda + [lunch])
        self.head = head
        self.assert_untouched(later, [slot(n) for n in PUBLISHED], before=after)
        self.assertEqual(self.summary(later, slot(10)), "Déjeuner")

        # Put back, the item comes back as itself.
        again = self.edit(self.agenda)
        self.assertEqual(str(again[slot(5)]["STATUS"]), "CONFIRMED")
        self.assert_moved_on(again, slot(5), before=later)
        self.assertEqual(str(again[slot(10)]["STATUS"]), "CANCELLED")

    def test_swap_two_items(self):
        agenda = copy.deepcopy(self.agenda)
        axis1, axis2 = agenda[4], agenda[5]
        axis1["start"], axis1["end"], axis2["start"], axis2["end"] = \
            axis2["start"], axis2["end"], axis1["start"], axis1["end"]
        agenda[4], agenda[5] = axis2, axis1
        after = self.edit(agenda)
        self.assertEqual(self.summary(after, slot(5)), "Atelier sur l'axe 1 : accès à l'information")
        self.assertEqual(self.local_start(after, slot(5)).strftime("%H:%M"), "11:40")
        self.assertEqual(self.summary(after, slot(6)),
                         "Atelier sur l'axe 2 : transparence et redevabilité")
        self.assertEqual(self.local_start(after, slot(6)).strftime("%H:%M"), "11:10")
        self.assert_moved_on(after, slot(5))
        self.assert_moved_on(after, slot(6))
        self.assert_untouched(after, [slot(n) for n in (1, 3, 7, 8, 9)])

    def test_retitle_and_move_one_item(self):
        agenda = copy.deepcopy(self.agenda)
        pause = agenda.pop(6)
        # Retitled: known by its time.
        pause["title"] = {"ar": "استراحة قهوة", "fr": "Pause café"}
        retitled = self.edit(agenda[:6] + [pause] + agenda[6:])
        self.assertEqual(self.summary(retitled, slot(7)), "Pause café")
        self.assert_moved_on(retitled, slot(7))
        # Moved, in the day and in the list: known by its title.
        pause["start"], pause["end"] = "10:30", "10:50"
        moved = self.edit(agenda[:3] + [pause] + agenda[3:])
        self.assertEqual(self.local_start(moved, slot(7)).strftime("%H:%M"), "10:30")
        self.assert_moved_on(moved, slot(7), before=retitled)
        others = [slot(n) for n in PUBLISHED if n != 7]
        self.assert_untouched(moved, others)
        self.assertEqual(set(moved), set(self.before))

        # Both at once: an item with an id is known by it. Giving the id
        # changes nothing anyone sees.
        pause["id"] = "pause"
        named = self.edit(agenda[:3] + [pause] + agenda[3:])
        self.assert_untouched(named, [WORKSHOP] + [slot(n) for n in PUBLISHED], before=moved)
        pause["title"] = {"ar": "استراحة", "fr": "Pause"}
        pause["start"], pause["end"] = "12:10", "12:30"
        both = self.edit(agenda[:6] + [pause] + agenda[6:])
        self.assertEqual(self.summary(both, slot(7)), "Pause")
        self.assertEqual(self.local_start(both, slot(7)).strftime("%H:%M"), "12:10")
        self.assertEqual(str(both[slot(7)]["STATUS"]), "CONFIRMED")
        self.assert_moved_on(both, slot(7), before=named)
        self.assertEqual(set(both), set(self.before))
        self.assert_untouched(both, others)

    def test_an_item_retitled_and_moved_at_once_without_id_is_a_new_item(self):
        agenda = copy.deepcopy(self.agenda)
        pause = agenda.pop(6)
        pause["title"] = {"ar": "استراحة", "fr": "Pause"}
        pause["start"], pause["end"] = "10:30", "10:50"
        after = self.edit(agenda[:3] + [pause] + agenda[3:])
        self.assertEqual(str(after[slot(7)]["STATUS"]), "CANCELLED")
        self.assertEqual(self.summary(after, slot(7)), "Pause thé")
        self.assertEqual(self.summary(after, slot(10)), "Pause")
        self.assert_untouched(after, [slot(n) for n in PUBLISHED if n != 7])

    def test_a_new_item_with_an_id_is_published_under_it(self):
        talk = {"id": "open-data-talk", "start": "10:30", "end": "11:00", "kind": "talk",
                "title": {"fr": "Les données ouvertes"}}
        after = self.edit(self.agenda[:3] + [talk] + self.agenda[3:])
        uid = f"{WORKSHOP}/open-data-talk"
        self.assertEqual(self.summary(after, uid), "Les données ouvertes")
        self.assert_untouched(after, [slot(n) for n in PUBLISHED])
        # A bad or repeated id is the admin's error: the old agenda stays.
        talk2 = dict(talk, start="11:00", end="11:10", title={"fr": "Suite"})
        time.sleep(1.1)
        self.d.write(FILE, self.head + "".join(render(i) for i in self.agenda + [talk, talk2]))
        log = self.d.reload("still serving the previous")
        self.assertIn('agenda item id "open-data-talk" is already given to "Les données ouvertes"',
                      log)
        self.assertEqual(self.vevents()[uid].to_ical(), after[uid].to_ical())


if __name__ == "__main__":
    unittest.main()
