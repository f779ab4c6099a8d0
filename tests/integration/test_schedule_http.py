"""GET /schedule/propose and GET /freebusy/members/ID.ifb against the real
daemon: who may ask (the admin's bearer token, a member's feed token), what
the answers carry (the CLI's JSON, a VFREEBUSY without details, no CORS,
no caching), bad input, and that feeds are served while a proposal is
computed off the loop (clients that leave, reloads and stops meanwhile)."""

import json
import os
import random
import re
import select
import signal
import socket
import sqlite3
import struct
import time
import unittest

import icalendar

from harness import Daemon

ADMIN = "admin-7a0c41d59e3b46f2a8d1c0e5b9f4a6d3"
METRICS = "metrics-2f9e8d7c6b5a49382716a5b4c3d2e1f0"
QUERY = "audience=region:fes-meknes&duration=2h&from=2027-01-04&to=2027-01-29"
CLI_QUERY = ["--audience", "region:fes-meknes", "--duration", "2h",
             "--from", "2027-01-04", "--to", "2027-01-29"]
FES_MEKNES = ["fes-meknes", "sefrou-province", "ouislane", "meknes", "taza", "fes", "azrou",
              "el-hajeb", "sefrou"]
BEARER = {"Authorization": f"Bearer {ADMIN}"}
T0 = 1798761600  # 2027-01-01T00:00:00Z
# Computations at once: half the CPUs the daemon may run on, 1 or 2; 32 wait.
PLACES = min(2, max(1, len(os.sched_getaffinity(0)) // 2))
WAITING = 32


def configure(d, admin=True):
    """Token files and the http: keys that name them, before start."""
    for name, token in (("admin.token", ADMIN), ("metrics.token", METRICS)):
        with open(d.path(name), "w") as f:
            f.write(token + "\n")
    keys = "  metrics_token_file: metrics.token\n"
    if admin:
        keys += "  admin_token_file: admin.token\n"
    d.write("agendad.yaml", d.read("agendad.yaml").replace("\nhttp:\n", "\nhttp:\n" + keys, 1))


def add_busy(state, member, intervals, source="feed", window=(T0 - 86400 * 365, T0 + 86400 * 730)):
    """What a sync would store: member's calendar read now, with intervals
    ((start, end, tentative), UTC seconds)."""
    add_busy_many(state, {member: intervals}, source, window)


def add_busy_many(state, by_member, source="feed", window=(T0 - 86400 * 365, T0 + 86400 * 730)):
    con = sqlite3.connect(state, timeout=30)
    try:
        with con:
            for member, intervals in by_member.items():
                con.execute("DELETE FROM busy_intervals WHERE member = ? AND source = ?",
                            (member, source))
                con.execute("INSERT OR REPLACE INTO busy_sources VALUES (?, ?, ?, ?, ?)",
                            (member, source, int(time.time()), window[0], window[1]))
                con.executemany("INSERT INTO busy_intervals (member, source, start, end, tentative)"
                                " VALUES (?, ?, ?, ?, ?)",
                                [(member, source, s, e, int(t)) for s, e, t in intervals])
    finally:
        con.close()


def big_fixture(state, members, per_member, days=366, seed=13):
    """Many short busy intervals inside working hours, so that a proposal
    over a year takes a while."""
    rng = random.Random(seed)
    start = 1798675200  # 2026-12-31T00:00:00Z
    by_member = {}
    for m in members:
        iv = by_member[m] = []
        for _ in range(per_member):
            s = start + rng.randrange(days) * 86400 + 8 * 3600 + rng.randrange(0, 8 * 3600, 300)
            iv.append((s, s + rng.choice((900, 1800, 2700)), rng.random() < 0.1))
    add_busy_many(state, by_member)


def member_ids(d):
    return [line.split("id: ")[1].split()[0] for line in d.read("members.yaml").split("\n")
            if line.startswith("  - id: ")]


def raw_request(port, path, headers=None):
    """A socket with the request sent and nothing read: the caller reads,
    or leaves."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n{head}\r\n".encode())
    return s


def read_status(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(lines[0].split()[1]), headers, rest


class Base(unittest.TestCase):
    admin = True

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        configure(cls.d, cls.admin)
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, f"agendad stopped with {code}"

    def propose(self, query=QUERY, headers=BEARER):
        return self.d.get(f"/schedule/propose?{query}", headers)

    def assertPrivate(self, h):
        self.assertNotIn("access-control-allow-origin", h)
        self.assertEqual(h.get("cache-control"), "no-store")


class AdminToken(Base):
    def test_missing_token_is_401_even_from_loopback(self):
        st, h, body = self.propose(headers={})
        self.assertEqual(st, 401)
        self.assertEqual(h["www-authenticate"], 'Bearer realm="agendad"')
        self.assertNotIn(b"slots", body)
        self.assertPrivate(h)

    def test_wrong_tokens_are_403(self):
        for auth in (f"Bearer {ADMIN}x", f"Bearer {ADMIN[:-1]}", f"Bearer {METRICS}",
                     f"Basic {ADMIN}", "Bearer", f"Bearer {ADMIN.upper()}"):
            st, h, body = self.propose(headers={"Authorization": auth})
            self.assertEqual(st, 403, auth)
            self.assertPrivate(h)
            self.assertNotIn(b"slots", body)

    def test_admin_token_gets_json_without_cors_or_caching(self):
        st, h, body = self.propose()
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "application/json; charset=utf-8")
        self.assertPrivate(h)
        doc = json.loads(body)
        self.assertEqual(doc["audience"], ["region:fes-meknes"])
        self.assertEqual(sorted(doc["members"]), sorted(FES_MEKNES))
        self.assertEqual(doc["duration_minutes"], 120)
        self.assertEqual((doc["from"], doc["to"]), ("2027-01-04", "2027-01-29"))
        self.assertTrue(doc["slots"])

    def test_the_metrics_token_does_not_open_admin_views(self):
        st, _, _ = self.propose(headers={"Authorization": f"Bearer {METRICS}"})
        self.assertEqual(st, 403)
        st, _, _ = self.d.get("/metrics", {"Authorization": f"Bearer {METRICS}"})
        self.assertEqual(st, 200)

    def test_refusals_are_counted_by_route(self):
        self.propose(headers={"Authorization": "Bearer nope"})
        _, _, text = self.d.get("/metrics")
        self.assertIn('agendad_http_requests_total{route="/schedule/propose",status="403"}',
                      text.decode())


class NoAdminToken(Base):
    admin = False

    def test_propose_is_refused_to_everyone(self):
        for headers in ({}, BEARER):
            st, h, body = self.propose(headers=headers)
            self.assertEqual(st, 403)
            self.assertIn(b"admin_token_file", body)
            self.assertPrivate(h)


class ProposeAnswers(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Fès busy on a Tuesday morning, Taza tentatively on the Wednesday.
        add_busy(cls.d.state, "fes", [(1799146800, 1799157600, False)])  # 2027-01-05 09:00-12:00Z
        add_busy(cls.d.state, "taza", [(1799233200, 1799244000, True)])  # 2027-01-06 09:00-12:00Z

    def cli(self, *more):
        return self.d.run_cli("propose", *CLI_QUERY, *more)

    def test_json_is_the_cli_json_byte_for_byte(self):
        for extra, cli_extra in (("", ()), ("&count=25&step=1h", ("--count", "25", "--step", "1h"))):
            st, _, body = self.propose(QUERY + extra)
            self.assertEqual(st, 200, body)
            r = self.cli("--format", "json", *cli_extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(body.decode(), r.stdout)

    def test_busy_reasons_name_members_events_and_calendars(self):
        doc = json.loads(self.propose(QUERY + "&count=200")[2])
        reasons = {(b["member"], b["reason"]) for s in doc["slots"] for b in s["busy"]}
        self.assertIn(("fes", "calendar"), reasons)
        self.assertIn(("taza", "calendar"), reasons)
        # Members never read are said to be so, not taken as free.
        self.assertIn("unknown_calendar", json.dumps(doc))

    def test_bad_input_is_400_with_the_cli_reason(self):
        cases = [
            ("audience=region:fes-meknes&duration=2x&from=2027-01-04&to=2027-01-29",
             ["--duration", "2x"]),
            ("audience=region:fes-meknes&duration=0m&from=2027-01-04&to=2027-01-29",
             ["--duration", "0m"]),
            ("audience=region:fes-meknes&duration=-2h&from=2027-01-04&to=2027-01-29",
             ["--duration", "-2h"]),
            ("audience=nobody&duration=2h&from=2027-01-04&to=2027-01-29",
             ["--audience", "nobody"]),
            ("audience=region:atlantis&duration=2h&from=2027-01-04&to=2027-01-29",
             ["--audience", "region:atlantis"]),
            ("audience=region:fes-meknes&duration=2h&from=2027-01-04&to=2028-01-29",
             ["--to", "2028-01-29"]),
            ("audience=region:fes-meknes&duration=2h&from=2027-01-29&to=2027-01-04",
             ["--from", "2027-01-29", "--to", "2027-01-04"]),
            ("audience=region:fes-meknes&duration=2h&from=2027-13-04&to=2027-01-29",
             ["--from", "2027-13-04"]),
        ]
        for query, change in cases:
            st, h, body = self.propose(query)
            self.assertEqual(st, 400, query)
            self.assertTrue(h["content-type"].startswith("text/plain"))
            self.assertPrivate(h)
            lines = body.decode().splitlines()
            self.assertEqual(lines[0], "400 Bad Request")
            self.assertEqual(len(lines), 2, body)
            args = list(CLI_QUERY)
            for i in range(0, len(change), 2):
                args[args.index(change[i]) + 1] = change[i + 1]
            r = self.d.run_cli("propose", *args, "--format", "json")
            self.assertIn(r.returncode, (1, 2), query)
            self.assertIn(lines[1], r.stderr, query)

    def test_unknown_repeated_and_missing_options_are_400(self):
        for query in (QUERY + "&colour=blue", QUERY + "&duration=1h",
                      "audience=fes&duration=2h&from=2027-01-04", QUERY + "&token=x"):
            st, _, body = self.propose(query)
            self.assertEqual(st, 400, query)
            self.assertEqual(len(body.decode().splitlines()), 2, body)

    def test_head_answers_like_get_without_a_body(self):
        st, h, body = self.d.request("HEAD", f"/schedule/propose?{QUERY}", BEARER)
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        self.assertEqual(int(h["content-length"]), len(self.propose()[2]))


class FreeBusy(Base):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fes_token = cls.token("fes")
        cls.meknes_token = cls.token("meknes")
        now = int(time.time())
        day = now - now % 86400 + 7 * 86400
        cls.busy = [(day + 9 * 3600, day + 11 * 3600, False),
                    (day + 86400 + 14 * 3600, day + 86400 + 15 * 3600, True)]
        add_busy(cls.d.state, "fes", cls.busy)

    @classmethod
    def token(cls, member):
        out = cls.d.run_cli("token", member, check=True).stdout
        return out.strip().split("token=")[1]

    def fb(self, member="fes", token=None, headers=None):
        q = f"?token={token}" if token else ""
        return self.d.get(f"/freebusy/members/{member}.ifb{q}", headers)

    def periods(self, body):
        """The one VFREEBUSY and its periods as (start, end, FBTYPE)."""
        cal = icalendar.Calendar.from_ical(body)
        fbs = list(cal.walk("VFREEBUSY"))
        self.assertEqual(len(fbs), 1)
        props = fbs[0].get("FREEBUSY", [])
        out = []
        for prop in props if isinstance(props, list) else [props]:
            out.append((int(prop.start.timestamp()), int(prop.end.timestamp()),
                        prop.params.get("FBTYPE", "BUSY")))
        return fbs[0], out

    def test_member_token_reads_its_own_busy_time(self):
        st, h, body = self.fb(token=self.fes_token)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "text/calendar; charset=utf-8")
        self.assertPrivate(h)
        vfb, periods = self.periods(body)
        self.assertIn((self.busy[0][0], self.busy[0][1], "BUSY"), periods)
        self.assertIn((self.busy[1][0], self.busy[1][1], "BUSY-TENTATIVE"), periods)

    def test_network_events_are_busy_and_tentative_ones_say_so(self):
        _, _, body = self.fb(token=self.fes_token)
        _, periods = self.periods(body)
        kinds = {k for _, _, k in periods}
        # The 2027 general assembly (tentative, whole network) and the
        # monthly café (confirmed) are in the feed window.
        self.assertEqual(kinds, {"BUSY", "BUSY-TENTATIVE"})
        self.assertGreater(len(periods), len(self.busy))

    def test_no_details_of_events(self):
        _, _, body = self.fb(token=self.fes_token)
        text = body.decode()
        vfb, _ = self.periods(body)
        for name in ("SUMMARY", "LOCATION", "DESCRIPTION", "ATTENDEE", "VEVENT"):
            self.assertNotIn(name, text)
        for uid in ("openness-cafe-monthly", "2027-02-general-assembly"):
            self.assertNotIn(uid, text)

    def test_admin_token_reads_any_member(self):
        st, h, body = self.fb("meknes", headers=BEARER)
        self.assertEqual(st, 200)
        self.assertPrivate(h)
        self.periods(body)
        st, _, _ = self.fb("nobody", headers=BEARER)
        self.assertEqual(st, 404)

    def test_wrong_missing_and_other_members_tokens_are_403(self):
        for member, token, headers in (("fes", None, None), ("fes", "wrong", None),
                                       ("fes", self.meknes_token, None),
                                       ("meknes", self.fes_token, None),
                                       ("fes", None, {"Authorization": "Bearer wrong"}),
                                       ("fes", None, {"Authorization": f"Bearer {METRICS}"}),
                                       ("nobody", self.fes_token, None)):
            st, h, body = self.fb(member, token, headers)
            self.assertEqual(st, 403, (member, token, headers))
            self.assertPrivate(h)
            self.assertNotIn(b"VFREEBUSY", body)


class OffTheLoop(unittest.TestCase):
    """A proposal over a year for the whole network, against 66 members
    with many busy intervals each, takes long enough to overlap with other
    requests."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        configure(cls.d)
        cls.d.start()
        big_fixture(cls.d.state, member_ids(cls.d), 1000)
        cls.slow = "audience=network&duration=2h&from=2027-01-01&to=2027-12-31&step=5m&count=1000"

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.d.cleanup()
        assert code == 0, f"agendad stopped with {code}"

    def slow_time(self):
        t = time.monotonic()
        st, _, body = self.d.get(f"/schedule/propose?{self.slow}", BEARER)
        self.assertEqual(st, 200, body)
        return time.monotonic() - t

    def test_feeds_are_served_while_a_proposal_is_computed(self):
        took = self.slow_time()
        s = raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
        t0 = time.monotonic()
        feed_times = []
        while time.monotonic() - t0 < took * 0.8:
            t = time.monotonic()
            st, _, _ = self.d.get("/feeds/network.ics")
            self.assertEqual(st, 200)
            feed_times.append(time.monotonic() - t)
        st, _, _ = read_status(s)
        s.close()
        self.assertEqual(st, 200)
        self.assertGreater(len(feed_times), 3, f"a proposal took {took:.3f} s")
        # Served in the meantime, each far quicker than the proposal.
        self.assertLess(max(feed_times), max(took / 2, 0.05), (took, feed_times))

    def test_a_client_that_leaves_mid_computation(self):
        for _ in range(3):
            s = raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
            time.sleep(0.02)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        st, _, _ = self.d.get("/healthz")
        self.assertEqual(st, 200)
        self.slow_time()  # the pool is free again

    def test_too_many_at_once_get_503_and_those_who_left_cost_nothing(self):
        took = self.slow_time()
        before = self.metric_499()
        t0 = time.monotonic()
        socks = [raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
                 for _ in range(40)]
        sent = time.monotonic() - t0
        # Beyond those computing and 32 waiting, the answer comes at once:
        # long before the first computation ends, if it is slow enough.
        time.sleep(0.05)
        ready, _, _ = select.select(socks, [], [], 0)
        exact = took > 2 * (time.monotonic() - t0)
        early = [read_status(s) for s in ready]
        self.assertTrue(early)
        for st, h, _ in early:
            self.assertEqual(st, 503)
            self.assertEqual(h["retry-after"], "2")
        if exact:
            self.assertEqual(len(early), 40 - PLACES - WAITING, (took, sent))
        # The waiting ones' clients leave: their turn costs no computation.
        for s in socks:
            if s not in ready:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        # Computing all 32 would take 32 / PLACES times as long as one.
        t0 = time.monotonic()
        while self.metric_499() < before + 30 and time.monotonic() - t0 < 32 * took + 10:
            time.sleep(0.05)
        self.assertGreaterEqual(self.metric_499() - before, 30)
        self.assertLess(time.monotonic() - t0, 8 * took / PLACES + 2)
        self.slow_time()

    def test_free_busy_polling_leaves_the_queue_to_the_admin(self):
        took = self.slow_time()
        busy = [raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
                for _ in range(PLACES)]
        t0 = time.monotonic()
        fbs = [raw_request(self.d.port, "/freebusy/members/fes.ifb", BEARER) for _ in range(12)]
        admin = raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
        time.sleep(0.05)
        ready, _, _ = select.select(fbs + [admin], [], [], 0)
        self.assertNotIn(admin, ready)
        if took > 2 * (time.monotonic() - t0):
            self.assertEqual(len(ready), 12 - 8)
        for s in ready:
            self.assertEqual(read_status(s)[0], 503)
        for s in fbs:
            if s not in ready:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.assertEqual(read_status(admin)[0], 200)
        for s in busy + [admin]:
            s.close()

    def metric_499(self):
        text = self.d.get("/metrics")[2].decode()
        m = re.search(r'^agendad_http_requests_total\{route="/schedule/propose",status="499"\} '
                      r'(\S+)$', text, re.M)
        return float(m.group(1)) if m else 0

    def test_a_reload_meanwhile_changes_nothing_of_it(self):
        s = raw_request(self.d.port, f"/schedule/propose?{self.slow}", BEARER)
        time.sleep(0.02)
        self.d.reload()
        st, _, body = read_status(s)
        s.close()
        self.assertEqual(st, 200)
        json.loads(body)


class StopDuringComputation(unittest.TestCase):
    def test_stop_answers_or_refuses_and_exits_cleanly(self):
        d = Daemon()
        configure(d)
        d.start()
        try:
            big_fixture(d.state, member_ids(d), 1000)
            q = "audience=network&duration=2h&from=2027-01-01&to=2027-12-31&step=15m&count=500"
            socks = [raw_request(d.port, f"/schedule/propose?{q}", BEARER) for _ in range(6)]
            time.sleep(0.1)
            d.proc.send_signal(signal.SIGTERM)
            answers = [read_status(s) for s in socks]
            for s in socks:
                s.close()
            statuses = [a[0] for a in answers]
            # Those computing finish; the waiting ones are told to come back.
            self.assertEqual(statuses.count(200), PLACES, statuses)
            self.assertEqual(statuses.count(503), 6 - PLACES, statuses)
            for st, h, body in answers:
                if st == 503:
                    self.assertIn(b"stopping", body)
                    self.assertIn("retry-after", h)
            self.assertEqual(d.proc.wait(30), 0, d.log_text()[-5000:])
            d.log.close()
            d.proc = None
        finally:
            d.cleanup()


class TokenReload(unittest.TestCase):
    def test_a_reload_takes_a_new_admin_token(self):
        d = Daemon()
        configure(d)
        d.start()
        try:
            new = "admin-renewed-0f1e2d3c4b5a69788796a5b4"
            with open(d.path("admin.token"), "w") as f:
                f.write(new + "\n")
            d.reload("configuration loaded (SIGHUP)")
            path = f"/schedule/propose?{QUERY}"
            self.assertEqual(d.get(path, BEARER)[0], 403)
            self.assertEqual(d.get(path, {"Authorization": f"Bearer {new}"})[0], 200)
        finally:
            d.cleanup()


class TokenFileChecks(unittest.TestCase):
    def test_weak_or_shared_admin_token_is_a_config_error(self):
        d = Daemon()
        try:
            configure(d)
            with open(d.path("admin.token"), "w") as f:
                f.write("short\n")
            r = d.run_cli("check")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("admin_token_file", r.stderr)
            with open(d.path("admin.token"), "w") as f:
                f.write(METRICS + "\n")
            r = d.run_cli("check")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("same token as metrics_token_file", r.stderr)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
