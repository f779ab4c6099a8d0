"""The store under faults: disk full (a small tmpfs), a read-only file
system, the database locked by another process, and kill -9 in the middle
of a reload. The daemon must say what went wrong, keep serving the feeds it
has in memory, and never lose or double-count a SEQUENCE bump."""

import os
import random
import signal
import subprocess
import tempfile
import time
import unittest

import icalendar

from harness import Daemon
from reminders_env import EVENT_START_UTC, ReminderDaemon, SmtpPeer

UID = "2026-10-05-storage-fault-probe"


def event_yaml(uid, title, day=5, description=None):
    desc = f'\n  description: {{fr: "{description}"}}' if description else ""
    return f"""
- uid: {uid}
  title: {{fr: "{title}"}}{desc}
  start: 2026-10-{day:02d}T09:00
  end: 2026-10-{day:02d}T10:00
  host: fes-meknes
  audience: [network]
  categories: [access-to-information]
"""


def bulk_events(n):
    # Enough text that reconciling them needs megabytes of new pages.
    pad = "ورشة " * 200
    return "".join(event_yaml(f"bulk-{i:04d}", f"bulk {i}", 1 + i % 28, pad) for i in range(n))


class TmpfsMixin:
    def mount_tmpfs(self, size):
        mnt = tempfile.mkdtemp(prefix="agendad-tmpfs-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(mnt)
            self.skipTest(f"cannot mount a tmpfs here ({r.stderr.strip()}): needs root "
                          "and mount permission")
        self.addCleanup(self.unmount, mnt)
        return mnt

    @staticmethod
    def unmount(mnt):
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


def fill(path):
    """Writes until the file system is full. Unbuffered: a buffered file
    would try again, at close, the part the full file system refused, and
    raise there (or not) depending on how much room was left."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass


def feed_uids(d):
    status, _, body = d.get("/feeds/network.ics")
    assert status == 200, status
    return {str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


class StorageFaultTest(TmpfsMixin, unittest.TestCase):
    def daemon_on(self, mnt):
        d = Daemon()
        d.state = os.path.join(mnt, "state.db")
        self.addCleanup(d.cleanup)
        return d

    def test_disk_full_is_reported_and_feeds_still_served(self):
        mnt = self.mount_tmpfs("4m")
        d = self.daemon_on(mnt)
        d.start()
        fill(os.path.join(mnt, "filler"))
        before = feed_uids(d)
        d.write("events/bulk.yaml", bulk_events(1500))
        log = d.reload("still serving the previous configuration", timeout=60)
        self.assertRegex(log, r"(?i)full|disk")
        self.assertEqual(feed_uids(d), before)
        self.assertEqual(d.get("/feeds/members/fes-meknes.ics?lang=fr")[0], 200)
        os.unlink(os.path.join(mnt, "filler"))
        d.reload("configuration loaded", timeout=60)
        self.assertIn("bulk-0001", feed_uids(d))
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.state), "ok")

    def test_read_only_file_system(self):
        mnt = self.mount_tmpfs("16m")
        d = self.daemon_on(mnt)
        d.start()
        before = feed_uids(d)
        d.write("events/probe.yaml", event_yaml(UID, "probe"))
        r = subprocess.run(["mount", "-o", "remount,ro", mnt], capture_output=True, text=True)
        if r.returncode == 0:
            # The daemon holds the database open: a reload must fail and say so.
            log = d.reload("still serving the previous configuration", timeout=60)
            self.assertRegex(log, r"(?i)read.?only|readonly|I/O")
            self.assertEqual(feed_uids(d), before)
            subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
            d.reload("configuration loaded", timeout=60)
            self.assertIn(UID, feed_uids(d))
            self.assertEqual(d.stop(), 0)
            return
        # Linux refuses to make a file system read-only while files on it are
        # open for writing: the daemon's database is. Then the fault can only
        # exist at start: the daemon must refuse to start and name the cause.
        self.assertEqual(d.stop(), 0)
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        d.proc = None
        with self.assertRaises(RuntimeError) as cm:
            d.start()
        self.assertRegex(str(cm.exception), r"(?i)read.?only|readonly|unable to open|I/O")
        d.stop()
        subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
        d.start()
        self.assertIn(UID, feed_uids(d))

    def test_database_locked_by_another_process(self):
        with Daemon() as d:
            before = feed_uids(d)
            locker = lock_database(self, d.state)
            d.write("events/probe.yaml", event_yaml(UID, "probe"))
            mark = len(d.log_text())
            log = d.reload("still serving the previous configuration", timeout=60)
            self.assertRegex(log, r"(?i)locked|busy")
            # The reload is retried by a timer, not by the admin; between the
            # attempts every request is answered, from memory, a new variant
            # too, while the lock is still held.
            answered = 0
            deadline = time.monotonic() + 60
            while d.log_text()[mark:].count("still serving the previous configuration") < 3:
                self.assertLess(time.monotonic(), deadline, "the reload was never retried")
                self.assertEqual(feed_uids(d), before)
                self.assertEqual(d.get("/feeds/categories/digitalisation.ics?lang=fr")[0], 200)
                answered += 1
                self.assertIsNone(locker.poll(), "the lock is still held")
                time.sleep(0.05)
            self.assertGreater(answered, 0)
            mark = len(d.log_text())
            unlock_database(locker)
            d.wait_log("configuration loaded (retry after a store error)", timeout=60, start=mark)
            self.assertIn(UID, feed_uids(d))


def lock_database(test, db):
    """Another process holds the write lock until unlock_database."""
    locker = subprocess.Popen(["sqlite3", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    test.addCleanup(locker.kill)
    # The daemon may be writing at that instant: wait for it, and stop at
    # an error rather than report a lock that was never taken.
    locker.stdin.write(".bail on\n.timeout 30000\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n")
    locker.stdin.flush()
    test.assertEqual(locker.stdout.readline().strip(), "locked")
    return locker


def unlock_database(locker):
    locker.stdin.write("COMMIT;\n.quit\n")
    locker.stdin.close()
    locker.wait(10)
    locker.stdout.close()


def integrity(db):
    return subprocess.run(["sqlite3", db, "PRAGMA integrity_check;"], capture_output=True,
                          text=True, check=True).stdout.strip()


def probe_state(d):
    status, _, body = d.get(f"/events/{UID}.ics")
    assert status == 200, status
    ev = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")
          if str(e["UID"]) == UID][0]
    return int(ev["SEQUENCE"]), str(ev["SUMMARY"])


class KillDuringReloadTest(unittest.TestCase):
    def test_sequence_neither_lost_nor_double_bumped(self):
        d = Daemon()
        self.addCleanup(d.cleanup)
        d.write("events/probe.yaml", event_yaml(UID, "v0"))
        d.start()
        base, _ = probe_state(d)
        rnd = random.Random(7)
        for i in range(1, 9):
            # The file watcher and SIGHUP both start reloads; the kill lands
            # before, during or after them.
            d.write("events/probe.yaml", event_yaml(UID, f"v{i}") + bulk_events(i * 40))
            d.proc.send_signal(signal.SIGHUP)
            time.sleep(rnd.uniform(0, 0.3))
            d.stop(signal.SIGKILL)
            self.assertEqual(integrity(d.state), "ok")
            d.start()
            seq, summary = probe_state(d)
            self.assertEqual(summary, f"v{i}")
            self.assertEqual(seq, base + i, f"after kill {i}")
        d.reload("configuration loaded")
        self.assertEqual(probe_state(d)[0], base + 8)
        self.assertEqual(d.stop(), 0)


class ReminderStorageFaultTest(TmpfsMixin, unittest.TestCase):
    """A store that refuses writes while reminders fall due: nothing is sent
    before its outbox row is written, nothing is lost, nothing sent twice.
    The event reminds its 3 addresses one day before (reminders_env)."""

    DUE = EVENT_START_UTC - 86400

    def setUp(self):
        self.smtp = SmtpPeer().start()
        self.addCleanup(self.smtp.stop)

    def daemon(self, state_dir=None):
        d = ReminderDaemon(self.smtp.port, event={})
        if state_dir:
            d.state = os.path.join(state_dir, "state.db")
        self.addCleanup(d.cleanup)
        d.set_time(self.DUE - 600)
        d.start()
        return d

    def assert_each_once(self, d):
        self.smtp.wait(3)
        d.wait_outbox(lambda r: len(r) == 3 and all(x["state"] == "sent" for x in r))
        rcpts = sorted(env[1] for env, _ in self.smtp.messages())
        self.assertEqual(rcpts, ["agadir2@members.test", "agadir@members.test",
                                 "fes@members.test"], "each reminder exactly once")

    def wait_store_errors(self, d, needle, count, start):
        deadline = time.monotonic() + 60
        while d.log_text()[start:].count(needle) < count:
            self.assertLess(time.monotonic(), deadline, f"never {count}x {needle!r}")
            time.sleep(0.05)

    def test_due_while_locked_is_sent_once_after(self):
        d = self.daemon()
        locker = lock_database(self, d.state)
        mark = len(d.log_text())
        d.set_time(self.DUE + 1)
        self.wait_store_errors(d, "database is locked; trying again", 3, mark)
        self.assertEqual(self.smtp.messages(), [], "nothing sent before it is in the outbox")
        self.assertEqual(d.get("/feeds/network.ics")[0], 200)
        self.assertIsNone(locker.poll(), "answered while the lock is held")
        unlock_database(locker)
        self.assert_each_once(d)

    def test_outcome_refused_by_locked_store_is_not_sent_again(self):
        hold = os.path.join(self.smtp.dir, "hold")
        open(hold, "w").close()
        d = self.daemon()
        d.set_time(self.DUE + 1)
        d.wait_outbox(lambda r: len(r) == 3)  # written, handed to the channel, held
        locker = lock_database(self, d.state)
        mark = len(d.log_text())
        os.unlink(hold)  # the server accepts them now; their outcome cannot be written
        self.smtp.wait(3)
        # The 3 refused outcomes, then several wakes of the scheduler while
        # their rows are still pending in the store.
        self.wait_store_errors(d, "database is locked", 8, mark)
        self.assertEqual(len(self.smtp.messages()), 3, "not sent again while unrecorded")
        unlock_database(locker)
        self.assert_each_once(d)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.state), "ok")

    def test_due_while_disk_full_is_sent_once_after(self):
        mnt = self.mount_tmpfs("4m")
        d = self.daemon(state_dir=mnt)
        filler = os.path.join(mnt, "filler")
        fill(filler)
        mark = len(d.log_text())
        d.set_time(self.DUE + 1)
        self.wait_store_errors(d, "full; trying again", 3, mark)
        self.assertEqual(self.smtp.messages(), [], "nothing sent before it is in the outbox")
        self.assertEqual(d.get("/feeds/network.ics")[0], 200)
        os.unlink(filler)
        self.assert_each_once(d)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.state), "ok")


if __name__ == "__main__":
    unittest.main()
