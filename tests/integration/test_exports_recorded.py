"""The exports of the sample config and of a generated 1,000-event network,
with `check` and `list`, are byte-identical to the recording in
tests/exports (see recording.py there): a change of structure must not
change what users see."""

import os
import shutil
import sys
import unittest

from harness import BIN, SOURCE_DIR

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "exports"))
import recording  # noqa: E402


class RecordedExports(unittest.TestCase):
    def test_identical_to_recording(self):
        if not shutil.which("faketime"):
            self.skipTest("faketime is missing (scripts/deps.sh --test installs it)")
        with open(os.path.join(recording.HERE, "tzdata"), encoding="ascii") as f:
            recorded = f.read().strip()
        if recorded != recording.tzdata_version():
            self.skipTest(f"recorded with tzdata {recorded}, this machine has "
                          f"{recording.tzdata_version()}: record again with "
                          "tests/exports/recording.py record BIN on the last main")
        problems = recording.compare(BIN)
        self.assertEqual(problems, [], "\n".join(problems))


if __name__ == "__main__":
    unittest.main()
