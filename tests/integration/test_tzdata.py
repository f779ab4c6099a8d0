"""A tzdata upgrade changes every feed's ETag (the version is part of it),
even when no instant moved, so that subscribers refetch."""

import os
import shutil
import tempfile
import unittest

from harness import Daemon


class TzdataTest(unittest.TestCase):
    def test_new_tzdata_version_changes_etags(self):
        zoneinfo = tempfile.mkdtemp(prefix="agendad-zoneinfo-")
        try:
            # agendad reads the tzdata version from $TZDIR/tzdata.zi (libical
            # keeps reading the zones themselves from /usr/share/zoneinfo).
            shutil.copy("/usr/share/zoneinfo/tzdata.zi", zoneinfo)
            os.environ["TZDIR"] = zoneinfo
            with Daemon() as d:
                status, h1, body1 = d.get("/feeds/network.ics")
                self.assertEqual(status, 200)
                zi = os.path.join(zoneinfo, "tzdata.zi")
                with open(zi, encoding="utf-8") as f:
                    lines = f.read().split("\n", 1)
                self.assertTrue(lines[0].startswith("# version "))
                with open(zi, "w", encoding="utf-8") as f:
                    f.write("# version 2099z\n" + lines[1])
                d.reload("tzdata is now 2099z")
                status, h2, body2 = d.get("/feeds/network.ics")
                self.assertEqual(status, 200)
                self.assertNotEqual(h2["etag"], h1["etag"])
                self.assertEqual(body2, body1, "same rules, same bytes")
                status, _, _ = d.get("/feeds/network.ics", {"If-None-Match": h1["etag"]})
                self.assertEqual(status, 200, "the old ETag no longer validates")
        finally:
            os.environ.pop("TZDIR", None)
            shutil.rmtree(zoneinfo, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
