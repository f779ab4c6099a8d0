"""Members' pulls against a store in trouble. kill -9 while pulls are being
written: on restart each member's imported events are either the last good
copy or the new one, never a mix (one version of the titles, one SEQUENCE,
the full count), and the database passes its integrity check. A store
locked by another process: the pull fails, is retried, and its content
arrives once the lock is gone (its validators were not kept, so no 304
hides it)."""

import os
import random
import signal
import sqlite3
import tempfile
import time
import unittest

from harness import Daemon
from test_storage_faults import lock_database, unlock_database
from test_sync import Peer, calendar, vevent, write_sync_config, year

MEMBERS = 6
EVENTS = 150


def member_yaml(base):
    return "members:\n" + "".join(
        f"  - id: m{i}\n    kind: region\n    name: {{fr: \"Commune {i}\"}}\n"
        f"    feed_url: {base}/m{i}.ics\n    sync:\n      interval: 1s\n"
        for i in range(MEMBERS))


def member_feed(member, version):
    y = year()
    # Every event changes with the version: a pull rewrites all of them.
    return calendar(*(vevent(f"e{j}@{member}.example", f"v{version} {member} e{j}",
                             f":{y}{1 + j % 12:02d}{1 + j % 28:02d}T090000Z",
                             f":{y}{1 + j % 12:02d}{1 + j % 28:02d}T100000Z")
                      for j in range(EVENTS)))


def imported(db_path):
    """{member: (count, titles' versions, sequences)} of the live rows."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        out = {}
        for member, title, seq in db.execute(
                "SELECT member, title_fr, sequence FROM imported_events WHERE removed_at = 0"):
            count, versions, seqs = out.get(member, (0, set(), set()))
            out[member] = (count + 1, versions | {title.split()[0]}, seqs | {seq})
        return out
    finally:
        db.close()


def integrity(db_path):
    db = sqlite3.connect(db_path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


class SyncStoreFaultTest(unittest.TestCase):
    def setUp(self):
        self.peer = Peer()
        self.addCleanup(self.peer.stop)
        self.publish(0)
        cfg = tempfile.mkdtemp(prefix="agendad-sync-kill-")
        write_sync_config(cfg, member_yaml(self.peer.base))
        self.daemon = Daemon(config_src=cfg)
        self.addCleanup(self.daemon.cleanup)

    def publish(self, version):
        for i in range(MEMBERS):
            self.peer.write(f"m{i}.ics", member_feed(f"m{i}", version))

    def assert_consistent(self, after):
        self.assertEqual(integrity(self.daemon.state), "ok", after)
        for member, (count, versions, seqs) in imported(self.daemon.state).items():
            self.assertEqual(count, EVENTS, f"{member} {after}")
            self.assertEqual(len(versions), 1, f"{member} mixes versions {versions} {after}")
            self.assertEqual(len(seqs), 1, f"{member} mixes sequences {seqs} {after}")

    def wait_version(self, version, timeout=60):
        want = {f"m{i}": (EVENTS, {f"v{version}"}) for i in range(MEMBERS)}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = {m: (c, v) for m, (c, v, _) in imported(self.daemon.state).items()}
            if got == want:
                return
            time.sleep(0.1)
        self.fail(f"never all at v{version}: {got}\n{self.daemon.log_text()}")

    def member_status(self, member):
        import json
        code, _, body = self.daemon.get("/plugins/sync/status")
        self.assertEqual(code, 200)
        return [m for m in json.loads(body)["members"] if m["member"] == member][0]

    def test_pull_refused_by_a_locked_store_arrives_after(self):
        self.daemon.start()
        self.wait_version(0)
        locker = lock_database(self, self.daemon.state)
        self.publish(1)
        log = self.daemon.wait_log("events of m0 not stored", timeout=60)
        self.assertIn("database is locked", log)
        self.assertTrue(self.member_status("m0")["last_error"])
        self.assertIn("v0 m0 e0", self.daemon.get("/feeds/members/m0.ics")[2].decode())
        self.assertIsNone(locker.poll(), "answered while the lock is held")
        unlock_database(locker)
        self.wait_version(1)
        self.assertIn("v1 m0 e0", self.daemon.get("/feeds/members/m0.ics")[2].decode())
        self.assertEqual(self.daemon.stop(), 0)
        self.assert_consistent("after the lock")

    def test_last_good_copy_or_new_one_never_a_mix(self):
        self.daemon.start()
        self.wait_version(0)
        rnd = random.Random(11)
        for version in range(1, 6):
            # Six members pull every second: the kill lands before, during or
            # after their writes of the new version.
            self.publish(version)
            time.sleep(rnd.uniform(0.2, 1.5))
            self.daemon.stop(signal.SIGKILL)
            self.assert_consistent(f"after kill {version}")
            self.daemon.start()
        self.wait_version(5)
        self.assertEqual(self.daemon.stop(), 0)
        self.assert_consistent("after the last stop")
        # A member whose pulls skipped a version (killed before it pulled)
        # bumped less; a bump written twice would go beyond the 5 versions.
        for member, (_, _, seqs) in imported(self.daemon.state).items():
            self.assertTrue(1 <= min(seqs) and max(seqs) <= 5, f"{member}: SEQUENCE {seqs}")


def unfinished_rows(db_path, newer_only=False):
    """Rows of generations that are not their member's current one: an
    import being written or what one killed mid-write left (newer_only:
    only those), or an old copy being deleted."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT count(*) FROM import_rows r WHERE gen " + (">" if newer_only else "IS NOT")
            + " coalesce((SELECT gen FROM import_current c WHERE c.member = r.member), 0)"
        ).fetchone()[0]
    finally:
        db.close()


class SyncKilledMidWriteTest(unittest.TestCase):
    """A member of 3,000 events is written 200 rows per loop turn: killed
    while only some of them are in, the daemon restarts with the old copy
    published and the unfinished rows gone, then takes the new copy."""

    EVENTS = 3000

    def setUp(self):
        self.peer = Peer()
        self.addCleanup(self.peer.stop)
        self.publish(0)
        cfg = tempfile.mkdtemp(prefix="agendad-sync-midwrite-")
        members = ("members:\n  - id: big\n    kind: region\n    name: {fr: \"Grande\"}\n"
                   f"    feed_url: {self.peer.base}/big.ics\n    sync:\n      interval: 1s\n")
        write_sync_config(cfg, members, parser_cpu=10, sync_extra="      max_events: 10000\n")
        self.daemon = Daemon(config_src=cfg)
        self.addCleanup(self.daemon.cleanup)

    def publish(self, version):
        y = year()
        self.peer.write("big.ics", calendar(*(
            vevent(f"e{j}@big.example", f"v{version} big e{j}",
                   f":{y}{1 + j % 12:02d}{1 + j % 28:02d}T{j % 10 + 8:02d}0000Z",
                   f":{y}{1 + j % 12:02d}{1 + j % 28:02d}T{j % 10 + 9:02d}0000Z")
            for j in range(self.EVENTS))))

    def versions(self):
        return {m: (c, v) for m, (c, v, _) in imported(self.daemon.state).items()}

    def wait_versions(self, want, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.versions() == want:
                return
            time.sleep(0.05)
        self.fail(f"never {want}: {self.versions()}\n{self.daemon.log_text()}")

    def kill_mid_write(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if unfinished_rows(self.daemon.state, newer_only=True) > 0:
                self.daemon.stop(signal.SIGKILL)
                return True
            time.sleep(0.002)
        return False

    def catch_a_write(self, tries=8):
        """Publishes new versions until the kill lands while one is being
        written (the write lasts some 15 loop turns: a poll can miss it).
        The version that was current then."""
        for version in range(1, tries + 1):
            self.publish(version)
            if self.kill_mid_write(timeout=15):
                return version - 1
            self.wait_versions({"big": (self.EVENTS, {f"v{version}"})})
            self.wait_until_swept()
        self.fail("never saw a write in progress")

    def test_killed_mid_write_restarts_on_the_old_copy(self):
        self.daemon.start()
        self.wait_versions({"big": (self.EVENTS, {"v0"})})
        self.wait_until_swept()
        old = self.catch_a_write()
        self.assertEqual(integrity(self.daemon.state), "ok")
        self.assertGreater(unfinished_rows(self.daemon.state, newer_only=True), 0)
        self.assertEqual(self.versions(), {"big": (self.EVENTS, {f"v{old}"})})
        # Restarted with the server gone: no new write, the start-up sweep
        # alone removes the unfinished rows; the old copy is still served.
        self.peer.stop()
        self.daemon.start()
        self.assertEqual(unfinished_rows(self.daemon.state), 0)
        body = self.daemon.get("/feeds/members/big.ics")[2].decode()
        self.assertIn(f"v{old} big e0", body)
        self.assertNotIn(f"v{old + 1} big", body)
        self.assertEqual(self.daemon.stop(), 0)
        # With the server back, the new copy arrives in full.
        self.peer = Peer()
        self.addCleanup(self.peer.stop)
        self.publish(old + 1)
        self.rewrite_url()
        self.daemon.start()
        self.wait_versions({"big": (self.EVENTS, {f"v{old + 1}"})})
        self.wait_until_swept()
        self.assertEqual(self.daemon.stop(), 0)

    def wait_until_swept(self, timeout=30):
        deadline = time.monotonic() + timeout
        while unfinished_rows(self.daemon.state) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(unfinished_rows(self.daemon.state), 0)

    def rewrite_url(self):
        path = os.path.join(self.daemon.config, "members.yaml")
        with open(path) as f:
            text = f.read()
        import re
        with open(path, "w") as f:
            f.write(re.sub(r"http://127\.0\.0\.1:\d+", self.peer.base, text))


if __name__ == "__main__":
    unittest.main()
