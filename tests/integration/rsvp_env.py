"""Shared set-up of the rsvp tests: a small network whose events sit around
"now" (a future meeting that invites and publishes attendance, one that
does not publish, one held a month ago with its minutes, one held a year
and a half ago), invitations written into the state database as the
invitations scheduler writes them, and one-click links signed the way
core/src/rsvp/rsvp_link.c documents it, from the key in the database, so
that the tests check the format independently of the code that makes it."""

import base64
import datetime
import hashlib
import hmac
import os
import sqlite3
import tempfile

from harness import Daemon

ORGANIZER = "rsvp@reseau.test"
# Fixture addresses: none of them may ever show in a page or the log.
ADDRESSES = {
    "fes": ["Contact@Fes.test", "secretariat@fes.test"],
    "taza": ["bureau@taza.test"],
    "oujda": ["oujda@oujda.test"],
    "rabat": ["rabat@rabat.test"],
}
ADMIN_TOKEN = "admin-0123456789abcdef0123456789abcdef"

AGENDAD_YAML = """
base_url: "http://agenda.test"
timezone: Africa/Casablanca
http:
  admin_token_file: admin.token
categories:
  - id: transparency
    name: {{ar: "الشفافية والمساءلة", fr: "Transparence et redevabilité"}}
    axis: true
  - id: participation
    name: {{ar: "المشاركة المواطنة", fr: "Participation citoyenne"}}
    axis: true
  - id: training
    name: {{ar: "تكوين", fr: "Formation"}}
invitations:
  organizer: {organizer}
documents:
  minutes_due: 15d
"""

MEMBERS_YAML = """
members:
  - id: fes
    kind: region
    name: {ar: "جهة فاس مكناس", fr: "Région Fès-Meknès"}
    emails: [Contact@Fes.test, secretariat@fes.test]
  - id: taza
    kind: commune
    region: fes
    name: {ar: "جماعة تازة", fr: "Commune de Taza"}
    emails: [bureau@taza.test]
  - id: oujda
    kind: region
    name: {ar: "جهة الشرق", fr: "Région de l'Oriental"}
    emails: [oujda@oujda.test]
  - id: rabat
    kind: region
    name: {ar: "جهة الرباط", fr: "Région de Rabat"}
    emails: [rabat@rabat.test]
"""


def local(t):
    """A Unix time as Africa/Casablanca wall clock, for the config (UTC+1
    or UTC+0 does not matter here: the tests work in whole days)."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M")


def day(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d")


def events_yaml(now):
    d = 86400
    return f"""
- uid: future-meeting
  title: {{ar: "اجتماع المكتب", fr: "Réunion du bureau"}}
  start: {local(now + 10 * d)}
  end: {local(now + 10 * d + 7200)}
  host: fes
  audience: [fes, taza, oujda]
  categories: [transparency]
  invitations: true
  publish_attendance: true
- uid: quiet-meeting
  title: {{ar: "اجتماع داخلي", fr: "Réunion interne"}}
  start: {local(now + 12 * d)}
  end: {local(now + 12 * d + 3600)}
  host: fes
  audience: [fes, taza]
  categories: [training]
  invitations: true
- uid: held-meeting
  title: {{ar: "لقاء تشاوري", fr: "Réunion de concertation"}}
  start: {local(now - 30 * d)}
  end: {local(now - 30 * d + 7200)}
  host: fes
  audience: [fes, taza, oujda]
  categories: [transparency, participation]
  invitations: true
  publish_attendance: true
  documents:
    - title: {{fr: "Procès-verbal"}}
      kind: minutes
      published: {day(now - 25 * d)}
      url: https://fes.test/pv.pdf
- uid: late-minutes
  title: {{fr: "Atelier"}}
  start: {local(now - 60 * d)}
  end: {local(now - 60 * d + 7200)}
  host: taza
  audience: [taza]
  categories: [participation]
  documents:
    - title: {{fr: "Procès-verbal"}}
      kind: minutes
      published: {day(now - 20 * d)}
      url: https://taza.test/pv.pdf
- uid: old-meeting
  title: {{fr: "Ancienne réunion"}}
  start: {local(now - 540 * d)}
  end: {local(now - 540 * d + 7200)}
  host: fes
  audience: [fes, taza]
  categories: [transparency]
  invitations: true
  publish_attendance: true
"""


def make_config(now, extra=""):
    d = tempfile.mkdtemp(prefix="agendad-rsvp-config-")
    with open(os.path.join(d, "agendad.yaml"), "w", encoding="utf-8") as f:
        f.write(AGENDAD_YAML.format(organizer=ORGANIZER) + extra)
    with open(os.path.join(d, "members.yaml"), "w", encoding="utf-8") as f:
        f.write(MEMBERS_YAML)
    with open(os.path.join(d, "admin.token"), "w", encoding="utf-8") as f:
        f.write(ADMIN_TOKEN + "\n")
    os.mkdir(os.path.join(d, "events"))
    with open(os.path.join(d, "events", "meetings.yaml"), "w", encoding="utf-8") as f:
        f.write(events_yaml(now))
    return d


def db(daemon):
    return sqlite3.connect(daemon.state, timeout=10)


def prepare(daemon, now):
    """The database at today's schema with a signing key (the command line
    migrates and reconciles as the daemon would), and one invitation per
    contact of each member the invitations events concern, as the
    invitations scheduler writes them. Returns {(uid, address): id}."""
    r = daemon.run_cli("rsvp-key", "rotate")
    assert r.returncode == 0, r.stderr
    audiences = {"future-meeting": ["fes", "taza", "oujda"], "quiet-meeting": ["fes", "taza"],
                 "held-meeting": ["fes", "taza", "oujda"], "old-meeting": ["fes", "taza"]}
    ids = {}
    with db(daemon) as c:
        for uid, members in audiences.items():
            created = now - 541 * 86400 if uid == "old-meeting" else now - 40 * 86400
            for m in members:
                for a in ADDRESSES[m]:
                    cur = c.execute(
                        "INSERT INTO invitations (uid, address, member, lang, sequence, created,"
                        " cancelled) VALUES (?, lower(?), ?, NULL, 0, ?, 0)",
                        (uid, a, m, created))
                    ids[(uid, a.lower())] = cur.lastrowid
    return ids


def key(daemon, kid=None):
    with db(daemon) as c:
        if kid is None:
            row = c.execute("SELECT id, key FROM rsvp_keys WHERE retired = 0 "
                            "ORDER BY id DESC LIMIT 1").fetchone()
        else:
            row = c.execute("SELECT id, key FROM rsvp_keys WHERE id = ?", (kid,)).fetchone()
    return row[0], bytes(row[1])


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mac(k, *parts):
    msg = b"".join(p.encode() + b"\0" for p in parts)
    return b64url(hmac.new(k, msg, hashlib.sha256).digest()[:16])


def link_token(daemon, inv, uid, address, answer, expires, sequence=0):
    """The token of a one-click link, as rsvp_link.c documents it."""
    kid, k = key(daemon)
    letter = {"accept": "a", "tentative": "t", "decline": "d"}[answer]
    m = mac(k, "link", str(inv), uid, address.lower(), str(sequence), letter, str(expires))
    return f"{inv}.{sequence}.{letter}.{expires}.{kid}.{m}"


def event_end(now, days_ahead=10, length=7200):
    return now + days_ahead * 86400 + length


class RsvpDaemon(Daemon):
    """A daemon on the rsvp network, its clock in a file when asked."""

    def __init__(self, now, clock_file=None, plugin_dir=None, extra=""):
        self.config_src = make_config(now, extra)
        env = None
        if clock_file:
            env = {"AGENDAD_TEST_CLOCK": "1", "AGENDAD_CLOCK_FILE": clock_file}
        super().__init__(config_src=self.config_src, plugin_dir=plugin_dir, env=env)

    def post_form(self, path, fields, content_type="application/x-www-form-urlencoded",
                  body=None):
        import http.client
        import urllib.parse
        data = body if body is not None else urllib.parse.urlencode(fields).encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, body=data, headers={"Content-Type": content_type})
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
        finally:
            conn.close()
