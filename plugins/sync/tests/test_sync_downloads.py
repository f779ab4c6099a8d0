"""Members' feeds are downloaded at most 4 at a time (SYNC_MAX_DOWNLOADS):
with every member due at once (start, reload), the others wait for a slot,
and every one of them is still pulled. Feeds that arrive together (a LAN,
loopback) were all read and copied in one loop turn, which kept the daemon
from answering anyone meanwhile."""

import json
import tempfile
import time
import unittest

from harness import Daemon
from test_sync import Peer, calendar, vevent, write_sync_config, year

MEMBERS = 14
SLOTS = 4


def member_yaml(base):
    # Each answer takes 300 ms: without a limit, all 14 are in flight at once.
    return "members:\n" + "".join(
        f"  - id: m{i}\n    kind: region\n    name: {{fr: \"Commune {i}\"}}\n"
        f"    feed_url: {base}/slow/m{i}.ics?ms=300\n    sync:\n      interval: 1d\n"
        for i in range(MEMBERS))


class SyncDownloadSlotsTest(unittest.TestCase):
    def setUp(self):
        self.peer = Peer()
        self.addCleanup(self.peer.stop)
        y = year()
        for i in range(MEMBERS):
            self.peer.write(f"m{i}.ics", calendar(vevent(f"e@m{i}.example", f"Séance {i}",
                                                         f":{y}0310T093000Z",
                                                         f":{y}0310T103000Z")))
        cfg = tempfile.mkdtemp(prefix="agendad-sync-slots-")
        write_sync_config(cfg, member_yaml(self.peer.base))
        self.daemon = Daemon(config_src=cfg)
        self.addCleanup(self.daemon.cleanup)

    def members(self):
        code, _, body = self.daemon.get("/plugins/sync/status")
        self.assertEqual(code, 200)
        return json.loads(body)["members"]

    def test_at_most_four_downloads_at_once_and_everyone_pulled(self):
        self.daemon.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            st = self.members()
            if len(st) == MEMBERS and all(m["events"] == 1 for m in st):
                break
            time.sleep(0.05)
        else:
            self.fail(f"not every member pulled: {st}\n{self.daemon.log_text()}")
        stats = self.peer.stats()
        self.assertLessEqual(stats["_in_flight"]["max"], SLOTS, stats)
        self.assertGreaterEqual(stats["_in_flight"]["max"], 2, stats)
        for i in range(MEMBERS):
            self.assertEqual(stats[f"/m{i}.ics"]["200"], 1, stats)
        self.assertTrue(all(m["last_error"] is None for m in st), st)


if __name__ == "__main__":
    unittest.main()
