"""The agenda plugin's pages from the real daemon: valid HTML (Debian's tidy),
every user string escaped, lang/dir per language, ETag/304 and rebuilds on
reload, the Markdown and text agendas, `agendad agenda`, admin templates;
series shown at their next date, with their rule in words, under a fixed
clock (Debian's faketime)."""

import glob
import html
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, Daemon

PLUGINS = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR")
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"

HOSTILE_YAML = r'''uid: 2099-hostile
title:
  ar: "<script>alert(\"x\")</script> & \"quoted\"\r\nسطر ⵜⴰⵎⴰⵣⵉⵖⵜ"
  fr: "<script>alert(\"x\")</script> & \"quoted\"\r\nline *md* [l](u)"
description: {fr: "Line one\r\nLine <b>two</b> & more"}
location: {fr: "Salle \"A\" & <B> ⵜⴰⵎⴰⵣⵉⵖⵜ"}
start: 2099-03-10T09:00
end: 2099-03-11T17:00
host: fes
audience: [fes, "kind:province"]
categories: [workshop]
online_url: "https://meet.example.org/r/rmcto?a=1&b='x'"
agenda:
  - {start: "2099-03-11T09:00", end: "2099-03-11T10:00", title: {fr: "Day two <i>"}, kind: session}
  - {title: {fr: "Untimed & after day two"}, kind: other}
  - {start: "09:00", end: "10:00", title: {fr: "Day one \"start\""}, kind: talk, axis: digitalisation}
  - {start: "10:00", end: "10:30", title: {fr: "Coffee </td>"}, kind: break}
'''

HOSTILE_TEXT = '<script>alert("x")</script>'
HOSTILE_URL_HTML = "https://meet.example.org/r/rmcto?a=1&amp;b=&#39;x&#39;"
# An online meeting that is off: no "join" button.
CANCELLED_ONLINE_YAML = """uid: 2099-online-cancelled
title: {ar: "اجتماع عن بعد ملغى", fr: "Réunion en ligne annulée"}
start: 2099-04-01T10:00
end: 2099-04-01T11:00
host: fes
audience: [network]
status: cancelled
online_url: https://meet.example.org/r/cancelled
"""

CAFE = "openness-cafe-monthly"
# Mondays 09:00 from 2026-11-02, ten rule dates (the last 2027-01-04), the
# one of 2026-12-14 excluded.
WEEKLY_YAML = """uid: 2026-weekly-desk
title: {ar: "مداومة أسبوعية", fr: "Permanence hebdomadaire"}
start: 2026-11-02T09:00
end: 2026-11-02T10:00
host: fes
audience: [network]
categories: [network-life]
recurrence:
  rule: "FREQ=WEEKLY;BYDAY=MO;COUNT=10"
  except: [2026-12-14T09:00]
"""
# Over before the fixed "now": listed among past events at its last date.
OVER_YAML = """uid: 2026-autumn-series
title: {fr: "Série d'automne"}
start: 2026-09-01T15:00
end: 2026-09-01T16:00
host: fes
audience: [network]
recurrence:
  rule: "FREQ=DAILY;INTERVAL=7;UNTIL=20261015T235959Z"
"""
FIXED_NOW = "2026-12-07 12:00:00"  # UTC; Casablanca is UTC+0 then


def tidy(html):
    """Debian's tidy as validator: no error and no warning allowed."""
    with tempfile.NamedTemporaryFile("wb", suffix=".html", delete=False) as f:
        f.write(html)
    try:
        r = subprocess.run(["tidy", "-q", "-e", "-utf8", f.name], capture_output=True, text=True)
        return r.returncode, r.stderr
    finally:
        os.unlink(f.name)


class AgendaPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Not skipped when missing: scripts/deps.sh installs tidy.
        assert PLUGINS, "AGENDAD_PLUGIN_BUILD_DIR is not set"
        assert shutil.which("tidy"), "tidy is missing: bash scripts/deps.sh --test"
        cls.d = Daemon(plugin_dir=PLUGINS)
        cls.d.write("events/zz-hostile.yaml", HOSTILE_YAML)
        cls.d.write("events/zz-online-cancelled.yaml", CANCELLED_ONLINE_YAML)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def get(self, path, headers=None, want=200):
        status, hdrs, body = self.d.get(path, headers)
        self.assertEqual(status, want, f"{path}: {body[:300]!r}")
        return hdrs, body

    def assert_valid(self, path):
        hdrs, body = self.get(path)
        self.assertEqual(hdrs["content-type"], "text/html; charset=utf-8")
        code, errors = tidy(body)
        self.assertEqual((code, errors), (0, ""), f"tidy on {path}")
        return body.decode("utf-8")

    def test_language_from_accept_language_by_redirect(self):
        for header, lang in [("fr-FR,fr;q=0.9,ar;q=0.8", "fr"), ("ar-MA", "ar"),
                             ("en-US,fr;q=0.3,ar;q=0.7", "ar"), ("en", "ar"), (None, "ar")]:
            hdrs, _ = self.get("/", {"Accept-Language": header} if header else {}, want=302)
            self.assertEqual(hdrs["location"], f"/?lang={lang}", header)
            self.assertEqual(hdrs["vary"], "Accept-Language")
        hdrs, _ = self.get(f"/events/{WORKSHOP}", {"Accept-Language": "fr"}, want=302)
        self.assertEqual(hdrs["location"], f"/events/{WORKSHOP}?lang=fr")
        self.get("/?lang=en", want=400)

    def test_index_valid_and_bilingual(self):
        ar = self.assert_valid("/?lang=ar")
        self.assertIn('<html lang="ar" dir="rtl">', ar)
        self.assertIn("الأنشطة المقبلة", ar)
        fr = self.assert_valid("/?lang=fr")
        self.assertIn('<html lang="fr" dir="ltr">', fr)
        self.assertIn("Événements à venir", fr)
        # Subscribe links: network, each member, each category; webcal and http(s).
        port = self.d.port
        self.assertIn(f'href="webcal://127.0.0.1:{port}/feeds/network.ics?lang=fr"', fr)
        self.assertIn(f'value="http://127.0.0.1:{port}/feeds/network.ics?lang=fr"', fr)
        self.assertIn(f"/feeds/members/fes-meknes.ics?lang=fr", fr)
        self.assertIn(f"/feeds/categories/digitalisation.ics?lang=fr", fr)
        self.assertEqual(fr.count("/feeds/members/"), 3 * 66)
        for app in ("Google", "Outlook", "Apple", "Thunderbird"):
            self.assertIn(app, fr)
        # Google drops cancelled events from subscriptions: its instructions
        # give the network feed with cancelled=visible, to copy.
        for lang, page in (("fr", fr), ("ar", ar)):
            google = page.split("<summary>Google Calendar</summary>")[1].split("</details>")[0]
            self.assertIn(f'<input type="text" readonly id="url-google" value="http://127.0.0.1:'
                          f'{port}/feeds/network.ics?lang={lang}&amp;cancelled=visible"', google)
            self.assertIn('data-for="url-google"', google)
        self.assertIn("« [Annulé] »", fr)
        self.assertIn("«[ملغى]»", ar)
        status, _, _ = self.d.get("/feeds/network.ics?lang=fr&cancelled=visible")
        self.assertEqual(status, 200)
        # No external resources: every src/href is local, webcal or this server.
        for url in re.findall(r'(?:src|href)="([^"]+)"', fr):
            self.assertRegex(url, rf"^(/|webcal://127\.0\.0\.1:{port}/|http://127\.0\.0\.1:{port}/)")
        self.assertNotIn("@import", fr)
        self.assertNotIn("url(", fr)

    def test_upcoming_and_past(self):
        upcoming = self.assert_valid("/?lang=fr")
        past = self.assert_valid("/?lang=fr&past=1")
        self.assertIn('data-uid="2099-hostile"', upcoming)
        self.assertNotIn(f'data-uid="{WORKSHOP}"', upcoming)
        self.assertIn(f'data-uid="{WORKSHOP}"', past)
        self.assertNotIn('data-uid="2099-hostile"', past)
        # Members-only events are not public pages.
        self.assertNotIn("2027-02-10-open-data-training", upcoming + past)
        self.get("/events/2027-02-10-open-data-training?lang=fr", want=404)
        self.get("/events/no-such-event?lang=fr", want=404)
        self.get(f"/events/{WORKSHOP}/other?lang=fr", want=404)

    def test_event_page_agenda(self):
        page = self.assert_valid(f"/events/{WORKSHOP}?lang=ar")
        self.assertIn('<html lang="ar" dir="rtl">', page)
        self.assertIn("جدول الأعمال", page)
        rows = re.findall(r'<tr class="slot kind-([a-z]+)([^"]*)">', page)
        self.assertEqual([k for k, _ in rows],
                         ["reception", "opening", "presentation", "presentation", "workshop",
                          "workshop", "break", "workshop", "workshop"])
        self.assertIn("untimed", rows[1][1])
        self.assertIn("pause", rows[6][1])
        self.assertIn("09:30 – 10:00", page)
        self.assertIn("الثلاثاء، 7 مارس 2023", page)
        self.assertIn("شعبان 1444", page)  # Hijri on in the sample
        self.assertIn("الرقمنة", page)  # an axis
        self.assertIn(f'href="/events/{WORKSHOP}.ics?lang=ar"', page)
        self.assertIn("@media print", page)
        self.assertIn("size: A4", page)
        # Members invited: the region's own members, by name.
        self.assertIn("جهة فاس مكناس", page)
        self.assertIn('class="chips invited-members"', page)
        # The "add to calendar" link is the core's event feed.
        hdrs, ics = self.get(f"/events/{WORKSHOP}.ics?lang=ar")
        self.assertTrue(hdrs["content-type"].startswith("text/calendar"))
        self.assertIn(b"BEGIN:VEVENT", ics)

    def test_hostile_strings_escaped_everywhere(self):
        for path in ("/?lang=fr", "/?lang=ar", "/events/2099-hostile?lang=fr",
                     "/events/2099-hostile?lang=ar"):
            page = self.assert_valid(path)
            self.assertNotIn(HOSTILE_TEXT, page)
            self.assertNotIn("<b>", page)
            self.assertNotIn("\r", page)
            self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;",
                          page)
        page = self.assert_valid("/events/2099-hostile?lang=fr")
        self.assertIn("Salle &quot;A&quot; &amp; &lt;B&gt; ⵜⴰⵎⴰⵣⵉⵖⵜ", page)
        self.assertIn("Coffee &lt;/td&gt;", page)
        # Multi-day agenda: two days, each under its own heading, in order.
        days = re.findall(r'<h3 class="day">([^<]+)', page)
        self.assertEqual(len(days), 2)
        self.assertIn("10 mars 2099", days[0])
        self.assertIn("11 mars 2099", days[1])
        order = [page.index(t) for t in ("Day one &quot;start&quot;", "Coffee", "Day two",
                                         "Untimed &amp; after day two")]
        self.assertEqual(order, sorted(order))
        # Times from the system tzdata: Casablanca is UTC+0 after 2026-09-20.
        self.assertIn("09:00 – 10:00", page)
        self.assertIn("Membres concernés", page)
        self.assertIn("Commune de Fès", page)

    def test_event_page_join_button(self):
        """An online meeting's link is a "join" button in both languages,
        escaped; none where there is no link, nor for a cancelled meeting."""
        for lang, words in (("fr", "Rejoindre la réunion en ligne"),
                            ("ar", "الانضمام إلى الاجتماع عن بعد")):
            page = self.assert_valid(f"/events/2099-hostile?lang={lang}")
            self.assertIn(f'<p class="join"><a class="button primary" href="{HOSTILE_URL_HTML}" '
                          f'rel="noopener">{words}</a> <span class="url">{HOSTILE_URL_HTML}'
                          '</span></p>', page)
            self.assertEqual(page.count('class="join"'), 1)
            for uid in (WORKSHOP, "2099-online-cancelled"):
                page = self.assert_valid(f"/events/{uid}?lang={lang}")
                self.assertNotIn('class="join"', page, uid)
                self.assertNotIn(words, page, uid)
        self.assertIn('dir="rtl"', self.assert_valid("/events/2099-hostile?lang=ar"))

    def test_markdown_and_text(self):
        hdrs, md = self.get(f"/events/{WORKSHOP}/agenda.md?lang=fr")
        self.assertEqual(hdrs["content-type"], "text/markdown; charset=utf-8")
        md = md.decode()
        self.assertTrue(md.startswith("# Atelier de co-création"))
        self.assertIn("- **09:30 – 10:00** · Accueil des participants\n"
                      "- Mots d'ouverture : M. le Vice-Président du Conseil de la Région\n", md)
        self.assertIn("- **12:10 – 12:30** · Pause thé\n", md)
        hdrs, txt = self.get(f"/events/{WORKSHOP}/agenda.txt?lang=ar")
        self.assertEqual(hdrs["content-type"], "text/plain; charset=utf-8")
        txt = txt.decode()
        self.assertIn("09:30 – 10:00  استقبال المشاركين\n"
                      "               كلمات افتتاحية: السيد نائب رئيس مجلس الجهة\n", txt)
        _, md = self.get("/events/2099-hostile/agenda.md?lang=fr")
        md = md.decode()
        first = md.splitlines()[0]
        self.assertEqual(first, '# \\<script\\>alert\\("x"\\)\\</script\\> \\& "quoted" '
                                'line \\*md\\* \\[l\\]\\(u\\)')
        _, txt = self.get("/events/2099-hostile/agenda.txt?lang=fr")
        self.assertEqual(txt.decode().splitlines()[0],
                         '<script>alert("x")</script> & "quoted" line *md* [l](u)')
        self.assertNotIn(b"\r", txt)

    def test_cli_renders_same_bytes(self):
        for fmt, suffix in (("md", "/agenda.md"), ("txt", "/agenda.txt"), ("html", "")):
            r = self.d.run_cli("agenda", WORKSHOP, "--format", fmt, "--lang", "fr",
                               "--plugin-dir", PLUGINS)
            self.assertEqual(r.returncode, 0, r.stderr)
            _, body = self.get(f"/events/{WORKSHOP}{suffix}?lang=fr")
            self.assertEqual(r.stdout, body.decode(), fmt)
        r = self.d.run_cli("agenda", "nope", "--plugin-dir", PLUGINS)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nothing called \"nope\"", r.stderr)
        r = self.d.run_cli("agenda", WORKSHOP, "--format", "pdf", "--plugin-dir", PLUGINS)
        self.assertEqual(r.returncode, 2)

    def test_etag_304_gzip_head(self):
        path = f"/events/{WORKSHOP}?lang=fr"
        hdrs, body = self.get(path)
        etag = hdrs["etag"]
        self.assertIn("last-modified", hdrs)
        status, h304, b304 = self.d.get(path, {"If-None-Match": etag})
        self.assertEqual((status, b304), (304, b""))
        self.assertEqual(h304["etag"], etag)
        # The same bytes again: same ETag (pages are cached, not rebuilt).
        self.assertEqual(self.get(path)[0]["etag"], etag)
        status, hg, _ = self.d.get(path, {"Accept-Encoding": "gzip"})
        self.assertEqual(hg.get("content-encoding"), "gzip")
        status, hh, hb = self.d.request("HEAD", path)
        self.assertEqual((status, hb), (200, b""))


def faketime_env():
    """The daemon's clock set to FIXED_NOW by Debian's libfaketime (preloaded,
    as tests/exports does), running from there; libuv's monotonic timers
    keep the real clock."""
    libs = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    assert libs, "libfaketime is missing: bash scripts/deps.sh --test"
    asan = (os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    return {"LD_PRELOAD": libs[0], "FAKETIME": "@" + FIXED_NOW, "TZ": "UTC",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "ASAN_OPTIONS": asan}


def card(page, uid):
    """The front page's entry of an event (its <li>), or None."""
    m = re.search(rf'<li class="event-card[^"]*" data-uid="{re.escape(uid)}">(.*?)</li>\n',
                  page, re.S)
    return m.group(1) if m else None


def dates(page):
    """The dates listed by an event page's dates section."""
    m = re.search(r'<section class="dates" id="dates">(.*?)</section>', page, re.S)
    return re.findall(r'<li><span class="date">([^<]+)</span>', m.group(1)) if m else []


class AgendaSeriesTest(unittest.TestCase):
    """A series on 2026-12-07: the front page shows it once, at its next
    date, with its rule in words; its page lists the next dates, and the
    past ones with ?past=1; an excluded date is never listed."""

    @classmethod
    def setUpClass(cls):
        assert PLUGINS, "AGENDAD_PLUGIN_BUILD_DIR is not set"
        cls.d = Daemon(plugin_dir=PLUGINS, env=faketime_env())
        cls.d.write("events/zz-weekly.yaml", WEEKLY_YAML)
        cls.d.write("events/zz-over.yaml", OVER_YAML)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def page(self, path):
        status, hdrs, body = self.d.get(path)
        self.assertEqual(status, 200, f"{path}: {body[:300]!r}")
        code, errors = tidy(body)
        self.assertEqual((code, errors), (0, ""), f"tidy on {path}")
        return body.decode("utf-8")

    def test_front_page_shows_next_date_and_rule(self):
        fr = self.page("/?lang=fr")
        cafe = card(fr, CAFE)
        self.assertIsNotNone(cafe)
        self.assertIn('<span class="date">mardi 5 janvier 2027</span>', cafe)
        self.assertNotIn("6 octobre 2026", cafe)
        self.assertIn("10:00 – 11:00", cafe)
        self.assertIn("chaque mois, le premier mardi, jusqu'au 7 décembre 2027",
                      html.unescape(cafe))
        self.assertEqual(fr.count(f'data-uid="{CAFE}"'), 1)
        ar = self.page("/?lang=ar")
        self.assertIn('<html lang="ar" dir="rtl">', ar)
        cafe = card(ar, CAFE)
        self.assertIn('<span class="date">الثلاثاء، 5 يناير 2027</span>', cafe)
        self.assertNotIn("6 أكتوبر 2026", cafe)
        self.assertIn("كل شهر، يوم الثلاثاء الأول، حتى 7 دجنبر 2027", cafe)
        # The excluded Monday is skipped: the desk is shown at the next one.
        desk = card(fr, "2026-weekly-desk")
        self.assertIn('<span class="date">lundi 21 décembre 2026</span>', desk)
        self.assertIn("chaque semaine, le lundi, jusqu'au 4 janvier 2027", html.unescape(desk))
        # Upcoming events in the order of the dates they are shown at.
        uids = re.findall(r'data-uid="([^"]+)"', fr)
        self.assertEqual(uids[:3], ["2026-weekly-desk", CAFE, "2027-02-general-assembly"])

    def test_series_over_is_past_at_its_last_date(self):
        upcoming = self.page("/?lang=fr")
        past = self.page("/?lang=fr&past=1")
        self.assertIsNone(card(upcoming, "2026-autumn-series"))
        over = card(past, "2026-autumn-series")
        self.assertIn('<span class="date">mardi 13 octobre 2026</span>', over)
        self.assertIn("tous les 7 jours, jusqu'au 13 octobre 2026", html.unescape(over))
        self.assertIsNone(card(past, CAFE))
        self.assertIsNone(card(past, "2026-weekly-desk"))

    def test_event_page_next_and_past_dates(self):
        fr = self.page(f"/events/{CAFE}?lang=fr")
        self.assertIn('<span class="date">mardi 5 janvier 2027</span>', fr.split("<section")[0])
        self.assertIn("chaque mois, le premier mardi, jusqu&#39;au 7 décembre 2027", fr)
        self.assertEqual(dates(fr), ["mardi 5 janvier 2027", "mardi 2 février 2027",
                                     "mardi 2 mars 2027", "mardi 6 avril 2027",
                                     "mardi 4 mai 2027"])
        self.assertIn(f'href="/events/{CAFE}?lang=fr&amp;past=1"', fr)
        past = self.page(f"/events/{CAFE}?lang=fr&past=1")
        self.assertEqual(dates(past), ["mardi 1 décembre 2026", "mardi 3 novembre 2026",
                                       "mardi 6 octobre 2026"])
        self.assertIn(f'href="/events/{CAFE}?lang=fr"', past)
        self.assertIn(f'href="/events/{CAFE}?lang=ar&amp;past=1"', past)  # language switch
        ar = self.page(f"/events/{CAFE}?lang=ar&past=1")
        self.assertIn('<html lang="ar" dir="rtl">', ar)
        self.assertIn("المواعيد السابقة", ar)
        self.assertEqual(dates(ar)[0], "الثلاثاء، 1 دجنبر 2026")
        self.assertEqual(self.d.get(f"/events/{CAFE}?lang=fr&past=2")[0], 400)
        status, hdrs, _ = self.d.get(f"/events/{CAFE}?past=1", {"Accept-Language": "ar"})
        self.assertEqual((status, hdrs["location"]), (302, f"/events/{CAFE}?lang=ar&past=1"))

    def test_excluded_date_never_listed(self):
        fr = self.page("/events/2026-weekly-desk?lang=fr")
        self.assertEqual(dates(fr), ["lundi 21 décembre 2026", "lundi 28 décembre 2026",
                                     "lundi 4 janvier 2027"])
        self.assertNotIn("et d&#39;autres dates", fr)
        past = self.page("/events/2026-weekly-desk?lang=fr&past=1")
        self.assertEqual(dates(past), ["lundi 7 décembre 2026", "lundi 30 novembre 2026",
                                       "lundi 23 novembre 2026", "lundi 16 novembre 2026",
                                       "lundi 9 novembre 2026", "lundi 2 novembre 2026"])
        for page in (fr, past, self.page("/?lang=fr")):
            self.assertNotIn("14 décembre 2026", page)

    def test_text_agenda_and_etag(self):
        _, txt = self.d.get(f"/events/{CAFE}/agenda.txt?lang=fr")[1:]
        txt = txt.decode()
        self.assertIn("mardi 5 janvier 2027", txt)
        self.assertIn("chaque mois, le premier mardi, jusqu'au 7 décembre 2027\n", txt)
        path = f"/events/{CAFE}?lang=ar"
        status, hdrs, _ = self.d.get(path)
        status, h304, body = self.d.get(path, {"If-None-Match": hdrs["etag"]})
        self.assertEqual((status, body), (304, b""))

    def test_command_line_agenda_dates_a_series_as_the_page_does(self):
        # The command line's host gives plugins the event's iCalendar text as
        # the daemon does: without it the series showed its first date.
        env = {**os.environ, **faketime_env()}
        r = subprocess.run([BIN, "agenda", CAFE, "--config", self.d.config, "--plugin-dir",
                            PLUGINS, "--format", "txt", "--lang", "fr"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("mardi 5 janvier 2027", r.stdout)
        self.assertIn("chaque mois, le premier mardi, jusqu'au 7 décembre 2027\n", r.stdout)
        self.assertNotIn("6 octobre 2026", r.stdout)


class AgendaReloadTest(unittest.TestCase):
    """Pages are rebuilt when the store changes, and follow the admin's templates."""

    def test_rebuilt_on_change_and_templates_overridden(self):
        with Daemon(plugin_dir=PLUGINS) as d:
            path = f"/events/{WORKSHOP}?lang=fr"
            status, hdrs, body = d.get(path)
            self.assertEqual(status, 200)
            etag = hdrs["etag"]
            ev = d.read(f"events/{WORKSHOP}.yaml")
            d.write(f"events/{WORKSHOP}.yaml", ev.replace("Pause thé", "Pause café & thé"))
            d.reload("configuration loaded")
            status, hdrs, body = d.get(path, {"If-None-Match": etag})
            self.assertEqual(status, 200)
            self.assertNotEqual(hdrs["etag"], etag)
            self.assertIn("Pause café &amp; thé", body.decode())
            index_before = d.get("/?lang=fr")[2]

            os.makedirs(d.path("templates"), exist_ok=True)
            d.write("templates/agenda.txt", "CUSTOM {{title}}\n{{#has_agenda}}{{#days}}"
                                            "{{#rows}}* {{title}}\n{{/rows}}{{/days}}"
                                            "{{/has_agenda}}")
            d.write("templates/style.css", "body { color: #123456; }\n")
            d.reload("configuration loaded")
            status, _, txt = d.get(f"/events/{WORKSHOP}/agenda.txt?lang=fr")
            self.assertTrue(txt.decode().startswith("CUSTOM Atelier de co-création"))
            self.assertIn("* Pause café & thé\n", txt.decode())
            index = d.get("/?lang=fr")[2].decode()
            self.assertIn("body { color: #123456; }", index)
            self.assertNotEqual(index.encode(), index_before)
            self.assertEqual(tidy(index.encode())[0], 0)

            # A broken override is reported with its line; the last good
            # templates keep serving.
            d.write("templates/agenda.txt", "line one\n{{#rows}}never closed\n")
            log = d.reload("configuration loaded")
            d.wait_log("agenda.txt:2: {{#rows}} is never closed", start=0)
            status, _, txt = d.get(f"/events/{WORKSHOP}/agenda.txt?lang=fr")
            self.assertEqual(status, 200)
            self.assertTrue(txt.decode().startswith("CUSTOM"))
            del log


if __name__ == "__main__":
    unittest.main()
