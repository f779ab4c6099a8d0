"""The whole loop on the real daemon with the reminder-email plugin and a
real SMTP server (aiosmtpd): the invitations the scheduler sends carry
one-click links that the daemon's own pages take, a GET records nothing,
the POST records the answer, and the event's tally shows it; the mail's
reply address carries a tag, no address, and every link is the invitee's
own."""

import json
import re
import unittest
import urllib.parse

from reminders_env import EVENT_START_UTC, PLUGIN_BUILD_DIR, ReminderDaemon, SmtpPeer

DAY = 86400


@unittest.skipUnless(PLUGIN_BUILD_DIR, "AGENDAD_PLUGIN_BUILD_DIR is not set")
class MailLinks(unittest.TestCase):
    def test_links_from_the_invitations(self):
        smtp = SmtpPeer().start()
        self.addCleanup(smtp.stop)
        d = ReminderDaemon(smtp.port)
        self.addCleanup(d.cleanup)
        d.write("agendad.yaml", d.read("agendad.yaml") + "invitations:\n  organizer: "
                "rsvp@rmcto.test\n")
        d.set_event()
        d.write("events/workshop.yaml", d.read("events/workshop.yaml") +
                "invitations: true\npublish_attendance: true\n")
        d.set_time(EVENT_START_UTC - 5 * DAY)
        d.start()
        by_rcpt = {env[1]: m for env, m in smtp.wait(3)}
        links = {}
        for rcpt, msg in by_rcpt.items():
            text = msg.get_body(("plain",)).get_content()
            found = re.findall(r"http://agenda\.test(/rsvp/\S+)", text)
            self.assertEqual(len(found), 3, text)
            for path in found:
                self.assertNotIn(rcpt.split("@")[0], path)
            links[rcpt] = found
            self.assertRegex(msg["Reply-To"].addresses[0].addr_spec,
                             r"^rsvp\+[0-9]+-[0-9]+-[a-z2-7]{16}@rmcto\.test$")
        self.assertEqual(len({p for v in links.values() for p in v}), 9)

        def tally():
            return json.loads(d.get("/events/workshop-1/attendance.json")[2])

        self.assertEqual(tally()["no_answer"], ["agadir", "fes-meknes"])
        accept = links["fes@members.test"][0]
        status, _, page = d.get(accept)
        self.assertEqual(status, 200)
        self.assertEqual(tally()["accepted"], [])  # the GET recorded nothing
        form = re.search(rb'name="form" value="([^"]+)"', page).group(1).decode()
        status, _, done = self.post(d, accept, form)
        self.assertEqual(status, 200, done)
        decline = links["agadir2@members.test"][2]
        status, _, page = d.get(decline)
        form = re.search(rb'name="form" value="([^"]+)"', page).group(1).decode()
        self.assertEqual(self.post(d, decline, form)[0], 200)
        t = tally()
        self.assertEqual((t["accepted"], t["declined"], t["no_answer"]),
                         (["fes-meknes"], ["agadir"], []))
        log = d.log_text()
        for rcpt in by_rcpt:
            self.assertNotIn(rcpt, log)

    @staticmethod
    def post(d, path, form):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        try:
            conn.request("POST", path, body=urllib.parse.urlencode({"form": form}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
