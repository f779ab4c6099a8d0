"""The real daemon on the sample network: feeds parsed by python3-icalendar,
times in UTC, conditional GET, gzip, edits, removals, broken files, restarts."""

import datetime as dt
import gzip
import re
import signal
import subprocess
import time
import unittest

import icalendar

from harness import Daemon

UTC = dt.timezone.utc
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"
WEBINAR = "2026-03-01-access-to-information-webinar"
ASSEMBLY = "2027-02-general-assembly"
TRAINING = "2027-02-10-open-data-training"


def parse(body):
    return icalendar.Calendar.from_ical(body)


def vevents(cal):
    return [c for c in cal.walk("VEVENT")]


def by_uid(cal):
    return {str(e["UID"]): e for e in vevents(cal)}


def utc(e, prop="DTSTART"):
    return e[prop].dt.astimezone(UTC)


class FeedTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()

    def tearDown(self):
        self.d.cleanup()

    def feed(self, path="/feeds/network.ics", headers=None):
        status, hdrs, body = self.d.get(path, headers)
        self.assertEqual(status, 200, body)
        return hdrs, body

    def test_network_feed_parses_with_utc_instants(self):
        hdrs, body = self.feed()
        self.assertEqual(hdrs["content-type"], "text/calendar; charset=utf-8")
        cal = parse(body)
        self.assertEqual(str(cal["VERSION"]), "2.0")
        events = by_uid(cal)
        workshop = events[WORKSHOP]
        self.assertEqual(utc(workshop), dt.datetime(2023, 3, 7, 8, 30, tzinfo=UTC))
        reception = [e for e in vevents(cal)
                     if str(e.get("RELATED-TO", "")) == WORKSHOP
                     and utc(e) == dt.datetime(2023, 3, 7, 8, 30, tzinfo=UTC)]
        self.assertEqual(len(reception), 1, "the 09:30 reception slot is 08:30Z")
        eleven_ten = [e for e in vevents(cal) if str(e.get("RELATED-TO", "")) == WORKSHOP
                      and utc(e) == dt.datetime(2023, 3, 7, 10, 10, tzinfo=UTC)]
        self.assertEqual(len(eleven_ten), 1, "the 11:10 workshop is its own VEVENT")
        # Ramadan 2026: Morocco at UTC+0.
        self.assertEqual(utc(events[WEBINAR]), dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
        # Raw text: one-off events in UTC, no libical zone prefix anywhere.
        text = body.decode("utf-8")
        self.assertIn("DTSTART:20230307T083000Z", text)
        self.assertNotIn("freeassociation", text)
        self.assertNotIn("METHOD:", text)
        self.assertEqual(hdrs["access-control-allow-origin"], "*")

    def test_all_day_event_has_exclusive_end(self):
        _, body = self.feed()
        assembly = by_uid(parse(body))[ASSEMBLY]
        self.assertEqual(assembly["DTSTART"].dt, dt.date(2027, 2, 10))
        self.assertEqual(assembly["DTEND"].dt, dt.date(2027, 2, 12))

    def test_members_only_event_needs_member_token(self):
        _, body = self.feed()
        self.assertNotIn(TRAINING, by_uid(parse(body)))
        _, body = self.feed("/feeds/members/fes.ics")
        self.assertNotIn(TRAINING, by_uid(parse(body)))
        token = self.d.run_cli("token", "fes", check=True).stdout.strip().split("token=")[1]
        _, body = self.feed(f"/feeds/members/fes.ics?token={token}")
        training = by_uid(parse(body))[TRAINING]
        # 2027: Morocco permanently at UTC+0 (tzdata 2026c and later).
        self.assertEqual(utc(training), dt.datetime(2027, 2, 10, 9, 30, tzinfo=UTC))
        status, _, _ = self.d.get("/feeds/members/fes.ics?token=wrong")
        self.assertEqual(status, 403)
        status, _, _ = self.d.get(f"/feeds/members/meknes.ics?token={token}")
        self.assertEqual(status, 403, "a token opens only its own member's feed")

    def test_member_category_and_event_feeds(self):
        _, body = self.feed("/feeds/members/meknes.ics")
        uids = by_uid(parse(body))
        self.assertIn(WORKSHOP, uids, "meknes is in region:fes-meknes")
        _, body = self.feed("/feeds/members/rabat.ics")
        self.assertNotIn(WORKSHOP, by_uid(parse(body)))
        _, body = self.feed("/feeds/categories/digitalisation.ics")
        self.assertIn(WORKSHOP, by_uid(parse(body)))
        _, body = self.feed(f"/events/{WORKSHOP}.ics")
        self.assertEqual({str(e.get("RELATED-TO", e["UID"])) for e in vevents(parse(body))},
                         {WORKSHOP})
        for path in ("/feeds/members/nobody.ics", "/feeds/categories/nothing.ics",
                     "/events/nope.ics", "/nothing"):
            status, _, _ = self.d.get(path)
            self.assertEqual(status, 404, path)

    def test_language_and_slot_options(self):
        _, ar = self.feed(f"/events/{WORKSHOP}.ics")
        _, fr = self.feed(f"/events/{WORKSHOP}.ics?lang=fr")
        self.assertIn("ورشة", str(by_uid(parse(ar))[WORKSHOP]["SUMMARY"]))
        self.assertIn("atelier", str(by_uid(parse(fr))[WORKSHOP]["SUMMARY"]).lower())
        self.assertIn("LANGUAGE=fr", fr.decode())
        _, noslots = self.feed(f"/events/{WORKSHOP}.ics?slots=0")
        self.assertEqual(len(vevents(parse(noslots))), 1)
        _, alarms = self.feed(f"/events/{WORKSHOP}.ics?alarm=1d,30m")
        self.assertEqual(len(parse(alarms).walk("VALARM")), 2)
        self.assertEqual(len(parse(ar).walk("VALARM")), 0, "no VALARM by default")
        for bad in ("lang=en", "slots=2", "alarm=soon", "from=yesterday", "cancelled=yes",
                    "cancelled="):
            status, _, _ = self.d.get(f"/feeds/network.ics?{bad}")
            self.assertEqual(status, 400, bad)
        status, _, body = self.d.get("/feeds/network.ics?cancelled=hidden")
        self.assertEqual(body, b"400 Bad Request\ncancelled must be visible\n")
        self.feed("/feeds/network.ics?lang=fr&cancelled=visible")

    def test_window_keeps_the_sample_history(self):
        _, body = self.feed()
        self.assertIn("2022-10-21-network-founding", by_uid(parse(body)))
        _, body = self.feed("/feeds/network.ics?from=2026-01-01&to=2026-12-31")
        uids = by_uid(parse(body))
        self.assertNotIn("2022-10-21-network-founding", uids)
        self.assertIn(WEBINAR, uids)

    def test_conditional_get_and_gzip(self):
        hdrs, body = self.feed()
        etag, lm = hdrs["etag"], hdrs["last-modified"]
        self.assertTrue(etag.startswith('"'))
        status, h304, b304 = self.d.get("/feeds/network.ics", {"If-None-Match": etag})
        self.assertEqual((status, b304), (304, b""))
        self.assertEqual(h304["etag"], etag)
        status, _, _ = self.d.get("/feeds/network.ics", {"If-Modified-Since": lm})
        self.assertEqual(status, 304)
        status, hz, bz = self.d.get("/feeds/network.ics", {"Accept-Encoding": "gzip"})
        self.assertEqual(hz.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(bz), body)
        # curl, as a subscriber's fetcher would.
        out = subprocess.run(["curl", "-sS", "--compressed", "-D", "-", "-o", "/dev/null",
                              f"http://127.0.0.1:{self.d.port}/feeds/network.ics"],
                             capture_output=True, text=True, check=True).stdout
        self.assertRegex(out, r"(?i)content-encoding: gzip")

    def test_methods_and_webcal_paths(self):
        status, hdrs, _ = self.d.request("PUT", "/feeds/network.ics")
        self.assertEqual(status, 405)
        self.assertIn("GET", hdrs["allow"])
        status, hdrs, body = self.d.request("HEAD", "/feeds/network.ics")
        self.assertEqual((status, body), (200, b""))
        status, _, _ = self.d.request("OPTIONS", "/feeds/network.ics")
        self.assertIn(status, (200, 204))
        # A client given webcal://host/feeds/network.ics asks for the same path.
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                              f"http://127.0.0.1:{self.d.port}/feeds/network.ics"],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "200")

    def test_restart_keeps_bytes_and_etag(self):
        hdrs, body = self.feed()
        self.assertEqual(self.d.stop(), 0, "SIGTERM stops cleanly with exit 0")
        time.sleep(1.1)  # a rebuilt DTSTAMP would now differ
        self.d.start()
        hdrs2, body2 = self.feed()
        self.assertEqual(body2, body)
        self.assertEqual(hdrs2["etag"], hdrs["etag"])


class EditTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon().start()

    def tearDown(self):
        self.d.cleanup()

    def network(self):
        status, hdrs, body = self.d.get("/feeds/network.ics")
        self.assertEqual(status, 200)
        return hdrs, by_uid(parse(body)), body

    def test_moving_an_event_raises_sequence_and_last_modified(self):
        _, before, _ = self.network()
        time.sleep(1.1)
        rel = "events/2026-03-01-ramadan-webinar.yaml"
        text = self.d.read(rel)
        moved = text.replace("start: 2026-03-01T09:30", "start: 2026-03-01T10:30") \
                    .replace("end: 2026-03-01T11:00", "end: 2026-03-01T12:00")
        moved = re.sub(r'start: "09:30"\n(\s+)end: "09:45"', r'start: "10:30"\n\1end: "10:45"', moved)
        moved = re.sub(r'start: "09:45"\n(\s+)end: "10:30"', r'start: "10:45"\n\1end: "11:30"', moved)
        moved = re.sub(r'start: "10:30"\n(\s+)end: "11:00"', r'start: "11:30"\n\1end: "12:00"', moved)
        self.assertNotEqual(moved, text)
        self.d.write(rel, moved)
        self.d.reload("configuration loaded")
        _, after, _ = self.network()
        w0, w1 = before[WEBINAR], after[WEBINAR]
        self.assertEqual(utc(w1), dt.datetime(2026, 3, 1, 10, 30, tzinfo=UTC))
        self.assertEqual(int(w1["SEQUENCE"]), int(w0["SEQUENCE"]) + 1)
        self.assertGreater(w1["LAST-MODIFIED"].dt, w0["LAST-MODIFIED"].dt)
        self.assertEqual(w1["DTSTAMP"].dt, w1["LAST-MODIFIED"].dt)
        # Untouched events keep SEQUENCE and LAST-MODIFIED.
        for uid in (WORKSHOP, ASSEMBLY):
            self.assertEqual(after[uid].to_ical(), before[uid].to_ical(), uid)

    def test_online_url_is_published_content(self):
        """Giving an event an online_url, or changing it, raises SEQUENCE;
        an invalid one is a check error at the value."""
        _, before, _ = self.network()
        rel = "events/2026-03-01-ramadan-webinar.yaml"
        text = self.d.read(rel)
        online = text.replace("\nstatus: confirmed\n",
                              "\nstatus: confirmed\nonline_url: https://meet.example.org/a\n")
        self.assertNotEqual(online, text)
        seq = int(before[WEBINAR]["SEQUENCE"])
        for n, url in enumerate(("https://meet.example.org/a", "https://meet.example.org/b"), 1):
            self.d.write(rel, online.replace("https://meet.example.org/a", url))
            self.d.reload("configuration loaded")
            _, after, _ = self.network()
            w = after[WEBINAR]
            self.assertEqual(int(w["SEQUENCE"]), seq + n)
            self.assertEqual(str(w["URL"]), url)
            self.assertEqual(str(w["CONFERENCE"]), url)
            self.assertEqual(str(w["DESCRIPTION"]).split("\n")[0], url)
            for uid in (WORKSHOP, ASSEMBLY):
                self.assertEqual(after[uid].to_ical(), before[uid].to_ical(), uid)
        self.d.write(rel, online.replace("https://meet.example.org/a", "meet.example.org/c"))
        self.d.reload("still serving the previous")
        check = self.d.run_cli("check")
        self.assertEqual(check.returncode, 1)
        line = online.split("online_url:")[0].count("\n") + 1
        self.assertIn(f"{rel}:{line}:13: error: online_url \"meet.example.org/c\" must start with "
                      "http:// or https://", check.stderr)

    def test_deleted_future_event_is_published_cancelled(self):
        _, before, _ = self.network()
        rel = "events/2027-general-assembly.yaml"
        self.d.write(rel, "# Timed training" + self.d.read(rel).split("\n# Timed training")[1])
        self.d.reload("configuration loaded")
        _, after, _ = self.network()
        gone = after[ASSEMBLY]
        self.assertEqual(str(gone["STATUS"]), "CANCELLED")
        self.assertEqual(int(gone["SEQUENCE"]), int(before[ASSEMBLY]["SEQUENCE"]) + 1)
        listing = self.d.run_cli("list", check=True).stdout
        self.assertRegex(listing, ASSEMBLY + r".*removed")
        # A removed event that has already passed leaves the feed at once.
        self.d.write("events/2023-02-16-openness-training.yaml", "[]\n")
        self.d.reload("configuration loaded")
        _, after, _ = self.network()
        self.assertNotIn("2023-02-16-openness-training", after)

    def test_broken_file_keeps_serving_the_last_good_feed(self):
        hdrs, _, body = self.network()
        self.d.write("events/zz-broken.yaml",
                     "uid: broken-event\ntitle: {fr: Cassé}\nstart: 2027-02-30T10:00\n"
                     "end: 2027-03-01T10:00\nhost: fes\n")
        log = self.d.reload("still serving the previous")
        self.assertRegex(log, r"events/zz-broken\.yaml:3:8: error: .*2027-02-30")
        hdrs2, _, body2 = self.network()
        self.assertEqual(body2, body)
        self.assertEqual(hdrs2["etag"], hdrs["etag"])
        check = self.d.run_cli("check")
        self.assertEqual(check.returncode, 1)
        self.assertIn("zz-broken.yaml:3:8:", check.stderr)

    def test_file_change_reloads_without_signal(self):
        rel = "events/2026-03-01-ramadan-webinar.yaml"
        self.d.write(rel, self.d.read(rel).replace("webinar", "webinaire", 1))
        self.d.wait_log("configuration loaded (config directory changed)")


if __name__ == "__main__":
    unittest.main()
