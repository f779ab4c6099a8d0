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
from test_sync import AGENDAD_YAML, HELPER, PLUGIN_BUILD_DIR, Peer, calendar, vevent, year

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
        with open(os.path.join(cfg, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"plugins": PLUGIN_BUILD_DIR, "helper": HELPER})
        with open(os.path.join(cfg, "members.yaml"), "w") as f:
            f.write(member_yaml(self.peer.base))
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


if __name__ == "__main__":
    unittest.main()
