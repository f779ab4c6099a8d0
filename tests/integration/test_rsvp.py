"""One-click answers, the host's checklist, tallies and transparency against
the real daemon (rsvp_env.py sets the network up): a GET records nothing,
the POST of the page's form does, once; tampered, expired, outdated and
replayed links and forms get 403 and a page that says why; the per-address
rate; POST only where forms are taken (405, 413, 415 elsewhere); the tally
public only when the event publishes it, else the admin's; `agendad
attendance` and `agendad rsvp-key`; retention; and no fixture address in
any page, answer or log line."""

import json
import os
import re
import tempfile
import time
import unittest

import rsvp_env
from rsvp_env import ADDRESSES, ADMIN_TOKEN, RsvpDaemon

TEST_PLUGINS = os.environ.get("AGENDAD_TEST_PLUGIN_DIR", "")
RATE_PER_HOUR = 10  # AG_RSVP_RATE_PER_HOUR (rsvp.h)


def form_token(body):
    m = re.search(rb'name="form" value="([^"]+)"', body)
    assert m, body.decode(errors="replace")
    return m.group(1).decode()


class Rsvp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.now = int(time.time())
        cls.d = RsvpDaemon(cls.now)
        cls.ids = rsvp_env.prepare(cls.d, cls.now)
        cls.d.start()
        cls.seen = []  # every body served, for the address check

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def get(self, path, headers=None):
        r = self.d.get(path, headers)
        self.seen.append(r[2])
        return r

    def post(self, path, fields, **kw):
        r = self.d.post_form(path, fields, **kw)
        self.seen.append(r[2])
        return r

    def link(self, address, answer="accept", uid="future-meeting", expires=None, seq=0):
        inv = self.ids[(uid, address.lower())]
        exp = expires or rsvp_env.event_end(self.now)
        return "/rsvp/" + rsvp_env.link_token(self.d, inv, uid, address, answer, exp, seq)

    def tally(self, uid="future-meeting", headers=None):
        status, _, body = self.get(f"/events/{uid}/attendance.json", headers)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def answer(self, path):
        status, _, body = self.get(path)
        self.assertEqual(status, 200, body)
        return self.post(path, {"form": form_token(body)})

    def assert_refused(self, response, why, status=403):
        self.assertEqual(response[0], status, response[2])
        self.assertIn(f'id="{why}"'.encode(), response[2])
        self.assertIn(b'lang="ar" dir="rtl"', response[2])
        self.assertIn(b'lang="fr" dir="ltr"', response[2])

    def test_get_shows_post_records_once(self):
        path = self.link("secretariat@fes.test", "decline", uid="held-meeting",
                         expires=self.now + 86400)
        before = self.tally("held-meeting")
        status, headers, body = self.get(path)
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["referrer-policy"], "no-referrer")
        self.assertNotIn("access-control-allow-origin", headers)
        self.assertIn("form-action 'self'", headers["content-security-policy"])
        self.assertIn("لن أحضر".encode(), body)
        self.assertIn("je ne participerai pas".encode(), body)
        self.assertIn("لقاء تشاوري".encode(), body)
        # A GET, and another, change nothing (mail scanners open links).
        self.get(path)
        self.assertEqual(self.tally("held-meeting"), before)
        status, _, page = self.post(path, {"form": form_token(body)})
        self.assertEqual(status, 200, page)
        self.assertIn(b'id="recorded"', page)
        after = self.tally("held-meeting")
        self.assertEqual(after["declined"], ["fes"])
        # The same form again: a replay, refused, nothing more recorded.
        self.assert_refused(self.post(path, {"form": form_token(body)}), "replayed")
        with rsvp_env.db(self.d) as c:
            n = c.execute("SELECT count(*) FROM rsvp_replies WHERE invitation = ?",
                          (self.ids[("held-meeting", "secretariat@fes.test")],)).fetchone()[0]
        self.assertEqual(n, 1)

    def test_tampered_links_and_forms(self):
        path = self.link("bureau@taza.test", "tentative")
        good = self.get(path)
        self.assertEqual(good[0], 200)
        mac = path.rsplit(".", 1)[1]
        flipped = path[:-1] + ("A" if mac[-1] != "A" else "B")
        self.assert_refused(self.get(flipped), "tampered")
        self.assert_refused(self.post(flipped, {"form": form_token(good[2])}), "tampered")
        # The answer changed under the same signature.
        self.assert_refused(self.get(path.replace(".t.", ".a.")), "tampered")
        # Another invitation's id.
        other = self.ids[("future-meeting", "oujda@oujda.test")]
        self.assert_refused(self.get("/rsvp/" + str(other) + path[path.index("."):]),
                            "tampered")
        self.assert_refused(self.get("/rsvp/garbage"), "tampered")
        # No form, another link's form, a changed form: tampered.
        self.assert_refused(self.post(path, {}), "tampered")
        other_page = self.get(self.link("oujda@oujda.test"))[2]
        self.assert_refused(self.post(path, {"form": form_token(other_page)}), "tampered")
        f = form_token(good[2])
        self.assert_refused(self.post(path, {"form": "A" + f[1:] if f[0] != "A" else "B" + f[1:]}),
                            "tampered")
        self.assertNotIn("taza", self.tally()["tentative"])

    def test_outdated_and_expired_links(self):
        path = self.link("oujda@oujda.test", "accept", uid="held-meeting",
                         expires=self.now + 86400)
        page = self.get(path)
        inv = self.ids[("held-meeting", "oujda@oujda.test")]
        with rsvp_env.db(self.d) as c:
            c.execute("UPDATE invitations SET sequence = 1 WHERE id = ?", (inv,))
        try:
            self.assert_refused(self.get(path), "outdated")
            self.assert_refused(self.post(path, {"form": form_token(page[2])}), "outdated")
            newer = self.link("oujda@oujda.test", "accept", uid="held-meeting",
                              expires=self.now + 86400, seq=1)
            self.assertEqual(self.get(newer)[0], 200)
        finally:
            with rsvp_env.db(self.d) as c:
                c.execute("UPDATE invitations SET sequence = 0 WHERE id = ?", (inv,))
        # Its event over: expired.
        self.assert_refused(self.get(self.link("oujda@oujda.test", expires=self.now - 1)),
                            "expired")

    def test_post_only_where_forms_are_taken(self):
        path = self.link("bureau@taza.test")
        self.assertEqual(self.post(path, {"form": "x"}, content_type="text/plain")[0], 415)
        self.assertEqual(self.post(path, {}, body=b"form=" + b"x" * 5000)[0], 413)
        for p in ("/feeds/network.ics", "/events/future-meeting/attendance.json", "/transparency",
                  "/healthz", "/"):
            self.assertEqual(self.post(p, {"a": "1"})[0], 405, p)
        # Without a body, too.
        status, headers, _ = self.d.request("POST", "/transparency")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD, OPTIONS")
        self.assertEqual(self.d.request("PUT", path)[0], 405)

    def test_tally_public_only_when_published(self):
        status, headers, body = self.get("/events/quiet-meeting/attendance.json")
        self.assertEqual(status, 404)
        self.assertEqual(self.get("/events/quiet-meeting/attendance.csv")[0], 404)
        self.assertEqual(self.get("/events/no-such/attendance.json")[0], 404)
        wrong = {"Authorization": "Bearer not-the-token"}
        self.assertEqual(self.get("/events/quiet-meeting/attendance.json", wrong)[0], 403)
        admin = {"Authorization": "Bearer " + ADMIN_TOKEN}
        status, headers, body = self.get("/events/quiet-meeting/attendance.json", admin)
        self.assertEqual(status, 200)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertNotIn("access-control-allow-origin", headers)
        t = json.loads(body)
        self.assertEqual(t["invited"], ["fes", "taza"])
        self.assertEqual(set(t), {"uid", "occurrence", "invited", "accepted", "tentative",
                                  "declined", "no_answer", "attended", "absent"})
        status, headers, body = self.get("/events/future-meeting/attendance.csv")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/csv; charset=utf-8")
        lines = body.decode().split("\r\n")
        self.assertEqual(lines[0], "member,invited,reply,attended")
        self.assertIn("oujda,yes,", body.decode())

    def test_attendance_command_and_checklist(self):
        r = self.d.run_cli("attendance", "held-meeting", "--present", "fes,taza",
                           "--absent", "oujda")
        self.assertEqual(r.returncode, 0, r.stderr)
        t = self.tally("held-meeting")
        self.assertEqual((t["attended"], t["absent"]), (["fes", "taza"], ["oujda"]))
        r = self.d.run_cli("attendance", "held-meeting", "--present", "nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn('no member "nobody"', r.stderr)
        r = self.d.run_cli("attendance", "held-meeting", "--present", "fes",
                           "--occurrence", "1999-01-01")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.d.run_cli("attendance").returncode, 2)
        r = self.d.run_cli("attendance", "held-meeting", "--link")
        self.assertEqual(r.returncode, 0, r.stderr)
        url = r.stdout.strip()
        self.assertTrue(url.startswith("http://agenda.test/attendance/"), url)
        path = url[len("http://agenda.test"):]
        status, _, page = self.get(path)
        self.assertEqual(status, 200)
        self.assertIn(b'name="m.fes" value="1" checked', page)
        self.assertIn(b'name="m.oujda" value="1">', page)
        self.assertIn("جهة الشرق".encode(), page)
        form = form_token(page)
        status, _, saved = self.post(path, {"form": form, "m.oujda": "1", "m.taza": "1"})
        self.assertEqual(status, 200, saved)
        self.assertIn(b'id="saved"', saved)
        t = self.tally("held-meeting")
        self.assertEqual((t["attended"], t["absent"]), (["oujda", "taza"], ["fes"]))
        self.assert_refused(self.post(path, {"form": form, "m.fes": "1"}), "replayed")
        self.assert_refused(self.get(path[:-2] + "xx"), "tampered")
        self.assertEqual(self.tally("held-meeting")["absent"], ["fes"])

    def test_transparency(self):
        status, headers, body = self.get("/transparency")
        self.assertEqual(status, 200)
        self.assertIn(b'<html lang="ar" dir="rtl">', body)
        self.assertIn("Région de l&#39;Oriental".encode(), body)
        self.assertIn("المحاور".encode(), body)
        status, _, csv = self.get("/transparency.csv")
        self.assertEqual(status, 200)
        rows = {tuple(line.split(",")[:2]): line.split(",")
                for line in csv.decode().split("\r\n")[1:] if line}
        # held-meeting (minutes 5 days after) is on time, late-minutes not.
        self.assertEqual(rows[("axis", "transparency")][7:], ["1", "1", "1", "100.0"])
        self.assertEqual(rows[("axis", "participation")][7:], ["2", "2", "1", "50.0"])
        # held-meeting is the only publishing event held in the window.
        self.assertEqual(rows[("member", "oujda")][2], "1")
        self.assertEqual(rows[("member", "rabat")][2:4], ["0", "0"])

    def test_rate_per_address(self):
        path = self.link("Contact@Fes.test", "tentative")
        statuses = [self.answer(path)[0] for _ in range(RATE_PER_HOUR + 1)]
        self.assertEqual(statuses[:-1], [200] * RATE_PER_HOUR)
        self.assertEqual(statuses[-1], 429)
        # Another address is not held back.
        self.assertEqual(self.answer(self.link("oujda@oujda.test", "decline"))[0], 200)
        self.assertEqual(self.tally()["tentative"], ["fes"])

    def test_zz_no_address_anywhere(self):
        """Last (zz): every body served by the tests above, and the log."""
        self.get("/transparency")
        self.get("/events/future-meeting/attendance.json")
        texts = [b.decode(errors="replace").lower() for b in self.seen]
        texts.append(self.d.log_text().lower())
        for member, addresses in ADDRESSES.items():
            for a in addresses:
                for t in texts:
                    self.assertNotIn(a.lower(), t)
                    self.assertNotIn(a.split("@")[0].lower() + "@", t)


class Keys(unittest.TestCase):
    def test_rotation_keeps_old_links_for_the_grace(self):
        now = int(time.time())
        d = RsvpDaemon(now)
        try:
            ids = rsvp_env.prepare(d, now)
            inv = ids[("future-meeting", "oujda@oujda.test")]
            old = "/rsvp/" + rsvp_env.link_token(d, inv, "future-meeting", "oujda@oujda.test",
                                                 "accept", rsvp_env.event_end(now))
            d.start()
            r = d.run_cli("rsvp-key", "rotate")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(d.get(old)[0], 200)  # within the grace
            second = "/rsvp/" + rsvp_env.link_token(d, inv, "future-meeting", "oujda@oujda.test",
                                                    "accept", rsvp_env.event_end(now))
            self.assertNotEqual(second, old)
            r = d.run_cli("rsvp-key", "rotate", "--grace", "0")
            self.assertEqual(r.returncode, 0, r.stderr)
            status, _, body = d.get(second)
            self.assertEqual(status, 403)
            self.assertIn(b'id="expired"', body)
            self.assertEqual(d.get(old)[0], 200)
            listing = d.run_cli("rsvp-key", "list")
            self.assertEqual(listing.returncode, 0)
            self.assertEqual(len(listing.stdout.strip().splitlines()), 4)
            self.assertIn("signs", listing.stdout)
            self.assertEqual(d.run_cli("rsvp-key", "turn").returncode, 2)
        finally:
            d.cleanup()


class Clock(unittest.TestCase):
    """The daemon's clock in a file: a link expires when its event ends, a
    confirmation page after an hour."""

    def test_expiry_on_the_test_clock(self):
        now = int(time.time())
        clock = os.path.join(tempfile.mkdtemp(prefix="agendad-clock-"), "clock")
        with open(clock, "w") as f:
            f.write(str(now))
        d = RsvpDaemon(now, clock_file=clock)
        try:
            ids = rsvp_env.prepare(d, now)
            inv = ids[("future-meeting", "bureau@taza.test")]
            end = rsvp_env.event_end(now)
            path = "/rsvp/" + rsvp_env.link_token(d, inv, "future-meeting", "bureau@taza.test",
                                                  "decline", end)
            d.start()
            status, _, page = d.get(path)
            self.assertEqual(status, 200)
            with open(clock, "w") as f:
                f.write(str(now + 3600 + 5))
            status, _, body = d.post_form(path, {"form": form_token(page)})
            self.assertEqual(status, 403)
            self.assertIn(b'id="form-expired"', body)
            with open(clock, "w") as f:
                f.write(str(end - 10))
            self.assertEqual(d.get(path)[0], 200)
            with open(clock, "w") as f:
                f.write(str(end))
            status, _, body = d.get(path)
            self.assertEqual(status, 403)
            self.assertIn(b'id="expired"', body)
            self.assertIn("انتهت صلاحية هذا الرابط".encode(), body)
        finally:
            d.cleanup()


class Retention(unittest.TestCase):
    def test_old_replies_attendance_invitations_go_at_start(self):
        now = int(time.time())
        d = RsvpDaemon(now)
        try:
            ids = rsvp_env.prepare(d, now)
            old = now - 400 * 86400
            with rsvp_env.db(d) as c:
                for inv in (ids[("held-meeting", "bureau@taza.test")],
                            ids[("old-meeting", "bureau@taza.test")]):
                    c.execute("INSERT INTO rsvp_replies (invitation, partstat, sequence, dtstamp,"
                              " via, verified, outcome, received_at) VALUES (?, 'ACCEPTED', 0, ?,"
                              " 'mail', 1, 'recorded', ?)", (inv, old, old))
                c.execute("INSERT INTO rsvp_replies (invitation, partstat, sequence, dtstamp,"
                          " via, verified, outcome, received_at) VALUES (?, 'ACCEPTED', 0, ?,"
                          " 'mail', 1, 'recorded', ?)",
                          (ids[("held-meeting", "oujda@oujda.test")], now - 86400, now - 86400))
                c.execute("INSERT INTO rsvp_attendance (uid, occurrence, member, address,"
                          " present, at, via, recorded_at) VALUES ('old-meeting', '2025-01-01',"
                          " 'fes', '', 1, ?, 'cli', ?)", (old, old))
            d.start()
            d.wait_log("retention:")
            with rsvp_env.db(d) as c:
                self.assertEqual(c.execute("SELECT count(*) FROM rsvp_replies").fetchone()[0], 1)
                self.assertEqual(c.execute("SELECT count(*) FROM rsvp_attendance").fetchone()[0],
                                 0)
                self.assertEqual(c.execute("SELECT count(*) FROM invitations WHERE uid ="
                                           " 'old-meeting'").fetchone()[0], 0)
                self.assertEqual(c.execute("SELECT count(*) FROM invitations WHERE uid ="
                                           " 'held-meeting'").fetchone()[0], 4)
        finally:
            d.cleanup()


@unittest.skipUnless(TEST_PLUGINS, "AGENDAD_TEST_PLUGIN_DIR is not set")
class PluginForms(unittest.TestCase):
    """ABI 1.9 from a plugin (tests/plugins/forms): its POST route takes
    forms, its other routes do not; event_attendance as the JSON says."""

    def test_forms_and_attendance(self):
        now = int(time.time())
        d = RsvpDaemon(now, plugin_dir=TEST_PLUGINS,
                       extra="plugins:\n  load:\n    forms: {}\n")
        try:
            ids = rsvp_env.prepare(d, now)
            d.start()
            status, _, body = d.post_form("/plugins/forms", {"a": "ا ب", "b": "x&y"})
            self.assertEqual(status, 200, d.log_text())
            self.assertEqual(body.decode(), "POST a=ا ب b=x&y")
            status, _, body = d.get("/plugins/forms?a=1")
            self.assertEqual(body, b"GET form=none feeds:already registered")
            self.assertEqual(d.post_form("/plugins/forms/plain", {"a": "1"})[0], 405)
            self.assertEqual(
                d.post_form("/plugins/forms", {"a": "1"}, content_type="text/plain")[0], 415)
            inv = ids[("future-meeting", "oujda@oujda.test")]
            path = "/rsvp/" + rsvp_env.link_token(d, inv, "future-meeting", "oujda@oujda.test",
                                                  "accept", rsvp_env.event_end(now))
            page = d.get(path)[2]
            self.assertEqual(d.post_form(path, {"form": form_token(page)})[0], 200)
            status, _, body = d.get("/plugins/forms/att/future-meeting")
            self.assertEqual(body.decode(), "fes 1 none -1\noujda 1 accepted -1\ntaza 1 none -1\n")
            self.assertEqual(d.get("/plugins/forms/att/quiet-meeting")[2], b"not found\n")
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()


PLUGINS = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR", "")


@unittest.skipUnless(PLUGINS, "AGENDAD_PLUGIN_BUILD_DIR is not set")
class AgendaPage(unittest.TestCase):
    """The agenda plugin's event page shows, for an event that publishes
    attendance, each member's invitation, answer and attendance, by name."""

    def test_event_page_shows_attendance(self):
        now = int(time.time())
        d = RsvpDaemon(now, plugin_dir=PLUGINS, extra="plugins:\n  load:\n    agenda: {}\n")
        try:
            ids = rsvp_env.prepare(d, now)
            d.start()
            inv = ids[("held-meeting", "bureau@taza.test")]
            path = "/rsvp/" + rsvp_env.link_token(d, inv, "held-meeting", "bureau@taza.test",
                                                  "decline", now + 86400)
            self.assertEqual(d.post_form(path, {"form": form_token(d.get(path)[2])})[0], 200)
            r = d.run_cli("attendance", "held-meeting", "--present", "fes", "--absent", "taza")
            self.assertEqual(r.returncode, 0, r.stderr)
            status, _, page = d.get("/events/held-meeting?lang=fr")
            self.assertEqual(status, 200, d.log_text())
            html = page.decode()
            self.assertIn('id="attendance"', html)
            row = re.search(r'<tr data-member="taza">(.*?)</tr>', html).group(1)
            self.assertIn("Commune de Taza", row)
            self.assertIn("A décliné", row)
            self.assertIn("Absent", row)
            row = re.search(r'<tr data-member="fes">(.*?)</tr>', html).group(1)
            self.assertIn("Sans réponse", row)
            self.assertIn("Présent", row)
            status, _, page = d.get("/events/held-meeting?lang=ar")
            self.assertIn("اعتذر", page.decode())
            status, _, page = d.get("/events/quiet-meeting?lang=fr")
            self.assertEqual(status, 200)
            self.assertNotIn(b'id="attendance"', page)
            for addresses in ADDRESSES.values():
                for a in addresses:
                    self.assertNotIn(a.lower().encode(), page.lower())
        finally:
            d.cleanup()
