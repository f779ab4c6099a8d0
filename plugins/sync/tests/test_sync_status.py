"""`agendad sync status` is the sync plugin's own command (plugin ABI 1.8,
register_command), no longer a printer in the core. It must print the same
bytes with the same exit codes as the core's printer did (the expected texts
below were recorded with it, on the main branch before the move), and it
must only read: the state database keeps its bytes, its mtime and its schema
version (an older one is not migrated), and no -wal or -shm file appears
beside it."""

import glob
import gzip
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import BIN, SOURCE_DIR

PLUGIN_BUILD_DIR = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]

AGENDAD_YAML = """\
timezone: Africa/Casablanca
language: fr
state: %(state)s
network:
  name: {fr: "RMCTO"}
categories:
  - id: digitalisation
    name: {fr: "Digitalisation"}
    axis: true
plugins:
  directory: %(plugins)s
  load:
%(load)s"""

# Every kind of member: pulls and pushes, pulls only (no state yet), pushes
# only, neither (not shown).
MEMBERS_YAML = """\
members:
  - id: fes-meknes
    kind: region
    name: {fr: "Région Fès-Meknès"}
    feed_url: http://127.0.0.1:9/fes-meknes.ics
    sync:
      interval: 1h
      caldav:
        url: http://127.0.0.1:9/dav/fes/
        username: fes
        password_file: /etc/hostname
  - id: oriental
    kind: region
    name: {fr: "Oriental"}
    feed_url: https://example.org/oriental.ics
  - id: rabat
    kind: region
    name: {fr: "Rabat"}
    sync:
      caldav:
        url: http://127.0.0.1:9/dav/rabat/
  - id: tanger
    kind: region
    name: {fr: "Tanger"}
"""

NO_SYNC_MEMBERS_YAML = """\
members:
  - id: tanger
    kind: region
    name: {fr: "Tanger"}
"""

# What the daemon's sync plugin saves, as it saves it (state_set keys, which
# the host namespaces as plugin.sync.<key>). Odd values on purpose: a time
# that is not a number, a negative one, state of a member that no longer
# syncs.
STATE = {
    "fes-meknes": {"last_attempt": "1767225600", "last_success": "1767139200", "events": "12",
                   "last_error": "HTTP 503 from http://127.0.0.1:9/fes-meknes.ics — réessai",
                   "push_last_attempt": "1767225700", "push_last_success": "0",
                   "push_pushed": "3", "push_deleted": "1", "push_conflicts": "2",
                   "push_last_error": "conflict: push-a was edited in the member's calendar",
                   "etag": "\"abc\"", "failures": "2"},
    "rabat": {"push_pushed": "7", "last_attempt": "garbage", "last_success": "-5"},
    "tanger": {"events": "99"},
}

# Recorded with the core's printer (core/src/cli/cli_sync_status.c).
STATUS = """\
fes-meknes
  pulls         http://127.0.0.1:9/fes-meknes.ics
  pushes to     http://127.0.0.1:9/dav/fes/
  last attempt: 2026-01-01 00:00:00 UTC
  last success: 2025-12-31 00:00:00 UTC
  imported:     12 events
  last error:   HTTP 503 from http://127.0.0.1:9/fes-meknes.ics — réessai
  last push:    2026-01-01 00:01:40 UTC
  push success: never
  pushed:       3 written, 1 deleted, 2 conflicts
  push error:   conflict: push-a was edited in the member's calendar

oriental
  pulls         https://example.org/oriental.ics
  last attempt: never
  last success: never
  imported:     0 events
  last error:   none

rabat
  pushes to     http://127.0.0.1:9/dav/rabat/
  last attempt: never
  last success: never
  imported:     0 events
  last error:   none
  last push:    never
  push success: never
  pushed:       7 written, 0 deleted, 0 conflicts
  push error:   none
"""
NO_MEMBER = "no member has a feed_url or a caldav collection in members.yaml\n"
USAGE = 'agendad sync: the only subcommand is "status"\n'
NO_DATABASE = ("agendad sync status: cannot open state database {path}: "
               "unable to open database file\n")
OLDER = ("agendad sync status: cannot read state database {path}: its schema version "
         "{old} is older than this agendad's ({current}); open it read-write once (start the "
         "daemon) to migrate it\n")
NEWER = ("agendad sync status: cannot open state database {path}: its schema version 99 is "
         "newer than this agendad knows ({current}); run the agendad that wrote it, or "
         "restore a backup\n")


def user_version(path):
    db = sqlite3.connect("file:%s?mode=ro&immutable=1" % path, uri=True)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


class SyncStatus(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agendad-sync-status-")
        self.config = os.path.join(self.tmp, "config")
        self.state = os.path.join(self.tmp, "state.db")
        os.makedirs(os.path.join(self.config, "events"))
        self.write_config()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write_config(self, load="    sync: {}\n", members=MEMBERS_YAML):
        with open(os.path.join(self.config, "agendad.yaml"), "w") as f:
            f.write(AGENDAD_YAML % {"state": self.state, "plugins": PLUGIN_BUILD_DIR,
                                    "load": load})
        with open(os.path.join(self.config, "members.yaml"), "w") as f:
            f.write(members)

    def make_state(self, state=STATE):
        """A state database as the daemon leaves it (created and migrated by
        a command that writes, then closed: no -wal beside it), holding the
        sync plugin's keys."""
        out = subprocess.run([BIN, "list", "--config", self.config], capture_output=True,
                             text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        db = sqlite3.connect(self.state)
        for member, fields in state.items():
            for k, v in fields.items():
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           (f"plugin.sync.{member}.{k}", v))
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        self.assertEqual(self.side_files(), [])

    def side_files(self):
        return sorted(os.path.basename(p) for p in glob.glob(self.state + "-*"))

    def fingerprint(self):
        with open(self.state, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest(), os.stat(self.state).st_mtime_ns

    def status(self, *args):
        return subprocess.run([BIN, "sync", *args, "--config", self.config],
                              capture_output=True, text=True, timeout=60)

    def assert_run(self, out, code, stdout="", stderr=""):
        self.assertEqual((out.returncode, out.stdout, out.stderr), (code, stdout, stderr))

    # ------------------------------------------------------------ output

    def test_same_bytes_and_only_reads(self):
        self.make_state()
        before = self.fingerprint()
        self.assert_run(self.status("status"), 0, STATUS)
        self.assertEqual(self.fingerprint(), before)
        self.assertEqual(self.side_files(), [])

    def test_what_waits_on_members_and_how_it_ended(self):
        """Lines about conflicts and name clashes appear only when there is
        something to say (the output above has none)."""
        state = {k: dict(v) for k, v in STATE.items()}
        state["fes-meknes"].update({"push_waiting": "push-a push-d", "push_clashes": "push-c",
                                    "push_resolved": "push-e: network_wins: the network's "
                                                     "version replaced the member's edit"})
        state["rabat"].update({"push_clashes": "push-f push-g"})
        self.make_state(state)
        fes = ("  push error:   conflict: push-a was edited in the member's calendar\n"
               "  waiting:      push-a, push-d (edited in the member's calendar: the network's "
               "newer version waits until network_wins is set or the member deletes its copy)\n"
               "  name clash:   push-c (agendad-push-c.ics exists in the member's calendar and "
               "agendad did not create it: left alone)\n"
               "  resolved:     push-e: network_wins: the network's version replaced the "
               "member's edit\n")
        rabat = ("  push error:   none\n"
                 "  name clash:   push-f, push-g (agendad-UID.ics of each exists in the member's "
                 "calendar and agendad did not create it: left alone)\n")
        expected = STATUS.replace(
            "  push error:   conflict: push-a was edited in the member's calendar\n", fes)
        expected = expected[:expected.index("rabat\n")] + expected[
            expected.index("rabat\n"):].replace("  push error:   none\n", rabat)
        self.assert_run(self.status("status"), 0, expected)

    def test_no_member_syncs(self):
        self.write_config(members=NO_SYNC_MEMBERS_YAML)
        self.make_state()
        self.assert_run(self.status("status"), 0, NO_MEMBER)

    def test_usage(self):
        self.make_state()
        self.assert_run(self.status(), 2, stderr=USAGE)
        self.assert_run(self.status("statut"), 2, stderr=USAGE)

    def test_the_plugin_directory_provides_it_when_the_config_does_not_load_it(self):
        self.make_state()
        self.write_config(load="    agenda: {}\n")
        self.assert_run(self.status("status"), 0, STATUS)

    def test_the_plugin_settings_are_not_needed(self):
        """The daemon would leave the plugin out for this setting; the
        status of what it last did still reads."""
        self.make_state()
        self.write_config(load="    sync: {timeout: soon}\n")
        self.assert_run(self.status("status"), 0, STATUS)

    # -------------------------------------------------- the state database

    def test_next_to_an_open_connection(self):
        """A running daemon keeps the database open in WAL mode: the command
        reads through the -wal it finds, and writes nothing."""
        self.make_state()
        daemon = sqlite3.connect(self.state)
        daemon.execute("SELECT count(*) FROM meta").fetchone()
        daemon.execute("UPDATE meta SET value = '13' WHERE key = 'plugin.sync.fes-meknes.events'")
        daemon.commit()  # in the -wal only: the database file has 12
        try:
            self.assertIn("state.db-wal", self.side_files())
            before = self.fingerprint()
            self.assert_run(self.status("status"), 0, STATUS.replace("12 events", "13 events"))
            self.assertEqual(self.fingerprint(), before)
        finally:
            daemon.close()

    def test_no_state_database(self):
        self.assert_run(self.status("status"), 1, stderr=NO_DATABASE.format(path=self.state))
        self.assertFalse(os.path.exists(self.state))
        self.assertEqual(self.side_files(), [])

    def test_an_older_database_is_not_migrated(self):
        self.make_state()
        current = user_version(self.state)
        older = [p for p in sorted(glob.glob(os.path.join(SOURCE_DIR, "tests/exports/*/state.db.gz")))]
        recorded = None
        for p in older:
            with gzip.open(p) as f:
                data = f.read()
            with open(self.state, "wb") as f:
                f.write(data)
            if user_version(self.state) < current:
                recorded = p
                break
        if not recorded:
            # Every recording is at today's schema: the same database with a
            # lower version number stands for one written before the last
            # migration.
            db = sqlite3.connect(self.state)
            db.execute("PRAGMA user_version = %d" % (current - 1))
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
        old = user_version(self.state)
        self.assertLess(old, current)
        before = self.fingerprint()
        self.assert_run(self.status("status"), 1,
                        stderr=OLDER.format(path=self.state, old=old, current=current))
        self.assertEqual(self.fingerprint(), before)
        self.assertEqual(user_version(self.state), old)
        self.assertEqual(self.side_files(), [])

    def test_a_newer_database_is_refused(self):
        self.make_state()
        current = user_version(self.state)
        db = sqlite3.connect(self.state)
        db.execute("PRAGMA user_version = 99")
        db.close()
        before = self.fingerprint()
        self.assert_run(self.status("status"), 1,
                        stderr=NEWER.format(path=self.state, current=current))
        self.assertEqual(self.fingerprint(), before)
        self.assertEqual(self.side_files(), [])


if __name__ == "__main__":
    unittest.main()
