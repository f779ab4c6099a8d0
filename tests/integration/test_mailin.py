"""Replies by email, end to end (issue 14): the daemon invites the sample
addresses of tests/integration/fixtures/mailin/ through the reminder-email
plugin and a real SMTP server (aiosmtpd), moves the event (a second
REQUEST, SEQUENCE 1), then each fixture goes to the reply address the
REQUEST named, through `agendad mail-in` as an MTA runs it. Checks the exit
codes, what the store recorded (read-only), that the log names no
address, 75 when the daemon is down, and, as root, that the MTA's
unprivileged user reads no state but talks to the socket once it is in the
socket's group."""

import email
import email.policy
import grp
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import time
import unittest

from harness import BIN, SOURCE_DIR
from reminders_env import ReminderDaemon, SmtpPeer

FIXTURES = os.path.join(SOURCE_DIR, "tests", "integration", "fixtures", "mailin")
UID = "2027-mailin-general-assembly"
ORGANIZER = "rsvp@reseau.example"
# 2027-05-01 00:00Z: six weeks before the event.
NOW = 1809129600

INVITEES = {
    "fes-meknes": "secretariat@fes-meknes.example",
    "oriental": "bureau@oriental.example",
    "souss-massa": "contact@souss-massa.example",
    "marrakech": "com@marrakech.example",
    "rabat": "cabinet@rabat.example",
    "casablanca": "dg@casablanca.example",
    "tanger": "presidence@tanger.example",
    "bmk": "cabinet@bmk.example",
    "agadir": "dgs@agadir.example",
    "laayoune": "info@laayoune.example",
}
OTHERS = ["adjoint@agadir.example", "stranger@elsewhere.example"]

MEMBERS = "members:\n" + "".join(
    f"  - id: {m}\n    kind: region\n    name: {{ar: \"{m}\", fr: \"{m}\"}}\n"
    f"    language: fr\n    emails: [{a}]\n" for m, a in INVITEES.items())

EVENT = """
uid: 2027-mailin-general-assembly
title: {{ar: "الجمع العام للشبكة", fr: "Assemblée générale du réseau"}}
location: {{ar: "الرباط", fr: "Rabat"}}
start: 2027-06-15T{start}
end: 2027-06-15T13:00
host: fes-meknes
audience: [network]
status: confirmed
invitations: true
"""

# fixture: (exit code, invitee whose replies it touches, what the last reply
# of that invitee then is: (partstat, verified, outcome, sequence) or None
# for "nothing recorded"), in the order they are sent.
EXPECT = [
    ("rfc6047-reply.eml", 0, "secretariat@fes-meknes.example", ("ACCEPTED", 1, "recorded", 1)),
    ("rfc5546-reply-declined.eml", 0, "bureau@oriental.example", ("DECLINED", 1, "recorded", 1)),
    ("outlook-accepted.eml", 0, "contact@souss-massa.example", ("ACCEPTED", 1, "recorded", 1)),
    ("outlook-stripped-declined.eml", 0, "com@marrakech.example",
     ("DECLINED", 1, "recorded", 1)),
    ("gmail-accepted.eml", 0, "cabinet@rabat.example", ("ACCEPTED", 1, "recorded", 1)),
    ("thunderbird-tentative.eml", 0, "dg@casablanca.example", ("TENTATIVE", 1, "recorded", 1)),
    ("apple-accepted-qp.eml", 0, "presidence@tanger.example", ("ACCEPTED", 1, "recorded", 1)),
    ("request-echo-accepted.eml", 0, "cabinet@bmk.example", ("ACCEPTED", 1, "recorded", 1)),
    ("rfc5546-delegated.eml", 0, "dgs@agadir.example", ("DELEGATED", 1, "recorded", 1)),
    ("rfc5546-delegate-accepts.eml", 0, "dgs@agadir.example", ("DELEGATED", 1, "recorded", 1)),
    ("forged-from-untagged.eml", 0, "info@laayoune.example", ("ACCEPTED", 0, "unverified", 1)),
    ("stale-sequence.eml", 0, "secretariat@fes-meknes.example", ("DECLINED", 1, "stale", 0)),
    ("unknown-uid.eml", 0, "bureau@oriental.example", ("DECLINED", 1, "recorded", 1)),
    ("uninvited.eml", 0, "secretariat@fes-meknes.example", ("DECLINED", 1, "stale", 0)),
    ("occurrence-only.eml", 0, "cabinet@rabat.example", ("ACCEPTED", 1, "recorded", 1)),
    ("malformed-ical.eml", 65, "secretariat@fes-meknes.example", ("DECLINED", 1, "stale", 0)),
    ("malformed-no-attendee.eml", 65, "secretariat@fes-meknes.example",
     ("DECLINED", 1, "stale", 0)),
    ("out-of-office.eml", 0, "secretariat@fes-meknes.example", ("DECLINED", 1, "stale", 0)),
    ("rfc5546-counter.eml", 0, "bureau@oriental.example", ("DECLINED", 1, "recorded", 1)),
]


def fixture(name, tags):
    """The fixture's bytes, {{TAG_ADDRESS}} the reply address of the
    invitee its X-Fixture-Tag-Of names (the plain mailbox without one)."""
    with open(os.path.join(FIXTURES, name), "rb") as f:
        raw = f.read()
    m = re.search(rb"^X-Fixture-Tag-Of: (\S+)$", raw, re.M)
    tag = tags[m.group(1).decode()] if m else ORGANIZER
    return raw.replace(b"{{TAG_ADDRESS}}", tag.encode())


class MailIn(unittest.TestCase):
    """One daemon for the whole class: invitations take a few seconds."""

    @classmethod
    def setUpClass(cls):
        cls.smtp = SmtpPeer().start()
        cls.d = ReminderDaemon(cls.smtp.port)
        try:
            cls.invite()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def invite(cls):
        d = cls.d
        # The deployment's layout: a config anyone may read, the state in a
        # directory of the daemon's alone, the socket in a directory of its
        # own, granted to the group `mail` where the test can give it.
        os.chmod(d.tmp, 0o755)
        cls.state_dir = os.path.join(d.tmp, "lib")
        os.mkdir(cls.state_dir, 0o700)
        d.state = os.path.join(cls.state_dir, "agendad.db")
        run = os.path.join(d.tmp, "run")
        os.mkdir(run, 0o755)
        cls.socket = os.path.join(run, "mail-in.sock")
        cls.group = "mail" if os.geteuid() == 0 else None
        d.write("agendad.yaml", d.read("agendad.yaml") +
                f"invitations:\n  organizer: {ORGANIZER}\n  mail_socket: {cls.socket}\n" +
                (f"  mail_group: {cls.group}\n" if cls.group else ""))
        d.write("members.yaml", MEMBERS)
        d.write("events/assembly.yaml", EVENT.format(start="10:00"))
        os.chmod(d.config, 0o755)
        for root, dirs, files in os.walk(d.config):
            for x in dirs:
                os.chmod(os.path.join(root, x), 0o755)
            for x in files:
                os.chmod(os.path.join(root, x), 0o644)
        d.set_time(NOW)
        d.start()
        cls.smtp.wait(len(INVITEES), timeout=60)
        # The event moves: every invitee gets the REQUEST again, SEQUENCE 1.
        d.write("events/assembly.yaml", EVENT.format(start="11:00"))
        os.chmod(d.path("events", "assembly.yaml"), 0o644)
        msgs = cls.smtp.wait(2 * len(INVITEES), timeout=60)
        cls.tags = {}
        for env, msg in msgs:
            cal = [p for p in msg.walk() if p.get_content_type() == "text/calendar"][0]
            if "SEQUENCE:1" in cal.get_content().replace("\r\n", "\n"):
                cls.tags[env[1]] = msg["Reply-To"].addresses[0].addr_spec
        assert set(cls.tags) == set(INVITEES.values()), cls.tags

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()
        cls.smtp.stop()
        shutil.rmtree(cls.smtp.dir, ignore_errors=True)

    def mail_in(self, data, env=None, prefix=()):
        return subprocess.run([*prefix, BIN, "mail-in", "--config", self.d.config], input=data,
                              capture_output=True, timeout=90,
                              env={**os.environ, **(env or {})})

    def replies(self, address):
        """(partstat, verified, outcome, sequence) of each reply of the
        invitation of address, oldest first, read-only beside the daemon."""
        db = sqlite3.connect(f"file:{self.d.state}?mode=ro", uri=True)
        try:
            return db.execute(
                "SELECT r.partstat, r.verified, r.outcome, r.sequence FROM rsvp_replies r "
                "JOIN invitations i ON i.id = r.invitation WHERE i.uid = ? AND i.address = ? "
                "ORDER BY r.id", (UID, address)).fetchall()
        finally:
            db.close()

    def test_1_each_fixture(self):
        self.assertEqual(self.replies("secretariat@fes-meknes.example"), [])
        for name, code, address, last in EXPECT:
            with self.subTest(fixture=name):
                r = self.mail_in(fixture(name, self.tags))
                self.assertEqual(r.returncode, code, r.stderr.decode())
                if code == 65:
                    self.assertIn(b"DATAERR", r.stderr)
                got = self.replies(address)
                self.assertEqual(got[-1] if got else None, last)
        # Nothing at all for those who were not invited, nor from the
        # delegate: the delegator's one reply.
        self.assertEqual(len(self.replies("dgs@agadir.example")), 1)
        db = sqlite3.connect(f"file:{self.d.state}?mode=ro", uri=True)
        n = db.execute("SELECT count(*) FROM invitations WHERE address IN (?, ?)",
                       OTHERS).fetchone()[0]
        total = db.execute("SELECT count(*) FROM rsvp_replies").fetchone()[0]
        db.close()
        self.assertEqual(n, 0)
        self.assertEqual(total, 11)  # 10 verified (one of them stale), 1 unverified

    def test_2_envelope_recipient_of_the_mta(self):
        """No header names the tag: Postfix's ORIGINAL_RECIPIENT does."""
        raw = fixture("gmail-accepted.eml", self.tags)
        raw = raw.replace(self.tags["cabinet@rabat.example"].encode(), ORGANIZER.encode())
        raw = raw.replace(b"ACCEPTED", b"DECLINED").replace(b"20261201T130000Z",
                                                            b"20261203T130000Z")
        # The base64 calendar is the part that counts: write it again.
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                text = part.get_content().replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED")
                text = text.replace("DTSTAMP:20261201T130000Z", "DTSTAMP:20261203T130000Z")
                part.set_content(text, subtype="calendar", params={"method": "REPLY"})
        data = msg.as_bytes()
        r = self.mail_in(data, env={"ORIGINAL_RECIPIENT": self.tags["cabinet@rabat.example"]})
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.replies("cabinet@rabat.example")[-1],
                         ("DECLINED", 1, "recorded", 1))

    def test_3_too_large_is_bounced_unread(self):
        r = self.mail_in(b"X" * (10 * 1024 * 1024 + 1))
        self.assertEqual(r.returncode, 65)
        self.assertIn(b"larger than 10 MiB", r.stderr)

    def test_4_log_names_no_address_and_metrics_count(self):
        status, _, body = self.d.get("/metrics")
        self.assertEqual(status, 200)
        for verdict, n in (("recorded", 12), ("dropped", 6), ("bounced", 2)):
            self.assertIn(f'agendad_mailin_messages_total{{verdict="{verdict}"}} {n}\n'.encode(),
                          body)
        self.d.wait_log("mail-in: ")
        log = self.d.log_text()
        self.assertIn("mail-in: replies by email taken on", log)
        self.assertRegex(log, r"mail-in: ACCEPTED of [0-9a-f]{16} to " + UID)
        for address in [*INVITEES.values(), *OTHERS, "Contact@Souss-Massa.example"]:
            self.assertNotIn(address, log)
            self.assertNotIn(address.split("@")[0] + "@", log)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run mail-in as nobody")
    def test_5_unprivileged_user(self):
        setpriv = shutil.which("setpriv")
        if not setpriv:
            self.skipTest("setpriv (util-linux) is missing")
        nobody = pwd.getpwnam("nobody")
        gid = grp.getgrnam(self.group).gr_gid
        st = os.stat(self.socket)
        self.assertEqual((st.st_mode & 0o777, st.st_gid), (0o660, gid))
        as_nobody = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}"]
        # It cannot read the state database...
        r = subprocess.run([*as_nobody, "--clear-groups", "sqlite3", "-readonly", self.d.state,
                            "SELECT count(*) FROM invitations"], capture_output=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(b"10", r.stdout)
        # ...nor, outside the socket's group, hand over a message: 75.
        data = fixture("rfc6047-reply.eml", self.tags)
        r = self.mail_in(data, prefix=[*as_nobody, "--clear-groups"])
        self.assertEqual(r.returncode, 75, r.stderr.decode())
        self.assertIn(b"permission denied", r.stderr)
        # In the group, it can: the reply is recorded.
        before = len(self.replies("secretariat@fes-meknes.example"))
        newer = data.replace(b"DTSTAMP:20261201T090000Z", b"DTSTAMP:20261204T090000Z")
        r = self.mail_in(newer, prefix=[*as_nobody, f"--groups={gid}"])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        got = self.replies("secretariat@fes-meknes.example")
        self.assertEqual(len(got), before + 1)
        self.assertEqual(got[-1], ("ACCEPTED", 1, "recorded", 1))

    def test_9_daemon_down_is_a_temporary_failure(self):
        """Last: it stops the daemon. The socket goes with it; mail-in
        exits 75 and the MTA keeps the message."""
        self.assertEqual(self.d.stop(), 0)
        self.assertFalse(os.path.exists(self.socket))
        r = self.mail_in(fixture("rfc6047-reply.eml", self.tags))
        self.assertEqual(r.returncode, 75, r.stderr.decode())
        self.assertIn(b"agendad is not running", r.stderr)


class MailInProtocol(unittest.TestCase):
    """The socket against clients that are not mail-in: a slow one, a
    wrong one, too many at once; a stale socket file at start."""

    def setUp(self):
        from harness import Daemon
        self.d = Daemon()
        self.addCleanup(self.d.cleanup)
        self.socket = os.path.join(self.d.tmp, "mail-in.sock")
        self.d.write("agendad.yaml", self.d.read("agendad.yaml") +
                     f"\ninvitations:\n  organizer: {ORGANIZER}\n  mail_socket: {self.socket}\n")

    def connect(self):
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(40)
        s.connect(self.socket)
        return s

    def line(self, s):
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
        return data

    def test_stale_socket_replaced_and_protocol_errors(self):
        import socket
        # A socket left by a daemon killed with -9: nobody serves it.
        old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old.bind(self.socket)
        old.close()
        self.d.start()
        self.d.wait_log("mail-in: replies by email taken on")
        s = self.connect()
        s.sendall(b"GET / HTTP/1.1\r\n\r\n\n\n")
        self.assertTrue(self.line(s).startswith(b"TEMPFAIL "))
        s.close()
        s = self.connect()
        s.sendall(b"AGENDAD-MAIL-IN 1\nLength: 99999999999\n\n")
        self.assertTrue(self.line(s).startswith(b"DATAERR "))
        s.close()
        s = self.connect()
        s.sendall(b"AGENDAD-MAIL-IN 1\nLength: 0\n\n")
        self.assertEqual(self.line(s), b"DATAERR not an RFC 5322 message\n")
        s.close()
        # More than it announced: refused, not read on.
        s = self.connect()
        s.sendall(b"AGENDAD-MAIL-IN 1\nLength: 2\n\nabc")
        self.assertTrue(self.line(s).startswith(b"TEMPFAIL "))
        s.close()
        # More than eight at once: the ninth is told to come back.
        held = [self.connect() for _ in range(8)]
        for h in held:
            h.sendall(b"AGENDAD-MAIL-IN 1\nLength: 10\n\n")
        time.sleep(0.3)
        s = self.connect()
        self.assertTrue(self.line(s).startswith(b"TEMPFAIL "))
        s.close()
        for h in held:
            h.close()
        # Once they are gone, a whole message gets its verdict again.
        msg = b"From: a@x.example\n\nhello\n"
        deadline = time.monotonic() + 10
        while True:
            s = self.connect()
            s.sendall(b"AGENDAD-MAIL-IN 1\nLength: %d\n\n" % len(msg) + msg)
            answer = self.line(s)
            s.close()
            if not answer.startswith(b"TEMPFAIL") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(answer, b"OK no calendar reply in the message\n")
        self.assertEqual(self.d.get("/healthz")[0], 200)

    def test_a_file_in_the_way_is_not_removed(self):
        with open(self.socket, "w") as f:
            f.write("precious")
        self.d.start()
        self.d.wait_log("mail-in: replies by email cannot come in")
        with open(self.socket) as f:
            self.assertEqual(f.read(), "precious")
        self.assertEqual(self.d.get("/healthz")[0], 200)
        r = subprocess.run([BIN, "mail-in", "--config", self.d.config], input=b"x",
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 75)


ACTIVATE = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"


@unittest.skipUnless(os.path.exists(ACTIVATE), "systemd-socket-activate is missing")
class MailInSocketActivation(unittest.TestCase):
    """As agendad-mail.socket does: systemd holds the mail-in socket (named
    mail-in, beside the HTTP one), a reply starts the daemon, which serves
    the socket it is passed and leaves its file to systemd."""

    def test_a_reply_starts_the_daemon_on_the_passed_socket(self):
        from harness import Daemon, free_port
        d = Daemon()
        self.addCleanup(d.cleanup)
        sock = os.path.join(d.tmp, "mail-in.sock")
        d.write("agendad.yaml", d.read("agendad.yaml") +
                f"\ninvitations:\n  mail_socket: {sock}\n")
        port = free_port()
        args = [a for a in d.args("run") if not a.startswith("127.0.0.1:")]
        args.remove("--listen")
        log = open(d.log_path, "ab")
        act = subprocess.Popen([ACTIVATE, "-l", f"127.0.0.1:{port}", "-l", sock,
                                "--fdname=http:mail-in", *args],
                               stdout=log, stderr=subprocess.STDOUT)

        def stop():
            try:
                with open(f"/proc/{act.pid}/task/{act.pid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            for k in kids:
                os.kill(k, 15)
            if act.poll() is None and not kids:
                act.terminate()
            act.wait(30)
            log.close()
        self.addCleanup(stop)
        d.wait_log(f"Listening on {sock}")
        # No daemon yet: the reply waits in the socket's backlog meanwhile.
        r = subprocess.run([BIN, "mail-in", "--config", d.config],
                           input=fixture("out-of-office.eml", {"secretariat@fes-meknes.example":
                                                               ORGANIZER}),
                           capture_output=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr.decode() + d.log_text())
        text = d.log_text()
        self.assertIn("mail-in: replies by email taken on the socket passed by systemd", text)
        self.assertIn("serving on the socket passed by systemd", text)
        self.assertIn("mail-in: dropped a message", text)
        stop()
        self.assertTrue(os.path.exists(sock), "systemd's socket is systemd's to remove")


if __name__ == "__main__":
    unittest.main()
