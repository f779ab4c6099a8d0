"""Debian's headless Chromium against the real daemon: the front page and the
2023-03-07 workshop page in Arabic and French, right-to-left layout and
agenda rows checked through the DOM, screenshots kept as test artifacts
(build/artifacts/browser/), and the workshop's agenda printed to PDF on one
or two A4 pages."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import SOURCE_DIR, Daemon

PLUGINS = os.environ.get("AGENDAD_PLUGIN_BUILD_DIR")
BUILD = os.environ.get("AGENDAD_BUILD_DIR", "/tmp")
BROWSER_SRC = os.path.join(SOURCE_DIR, "tests", "browser")
WORKSHOP = "2023-03-07-fes-meknes-cocreation-workshop"
# The real binary: Debian's /usr/bin/chromium is a wrapper script.
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def npm_dir():
    """playwright-core from the lock file, installed into the build tree once."""
    dest = os.path.join(BUILD, "browser")
    if not os.path.exists(os.path.join(dest, "node_modules", "playwright-core")):
        os.makedirs(dest, exist_ok=True)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(BROWSER_SRC, f), dest)
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=dest,
                       check=True, timeout=300)
    shutil.copy(os.path.join(BROWSER_SRC, "check_pages.mjs"), dest)
    return dest


def artifacts():
    d = os.path.join(BUILD, "artifacts", "browser")
    os.makedirs(d, exist_ok=True)
    return d


class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert PLUGINS, "AGENDAD_PLUGIN_BUILD_DIR is not set"
        assert os.access(CHROMIUM, os.X_OK), "chromium is missing: bash scripts/deps.sh --test"
        cls.d = Daemon(plugin_dir=PLUGINS).start()
        cls.base = f"http://127.0.0.1:{cls.d.port}"

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def test_pages_in_both_languages(self):
        dest = npm_dir()
        out = subprocess.run(["node", os.path.join(dest, "check_pages.mjs"), self.base,
                              artifacts(), WORKSHOP],
                             cwd=dest, capture_output=True, text=True, timeout=180,
                             env=dict(os.environ, CHROMIUM_BIN=CHROMIUM))
        self.assertEqual(out.returncode, 0, out.stderr)
        r = json.loads(out.stdout)
        for lang, direction in (("ar", "rtl"), ("fr", "ltr")):
            index = r[f"index_{lang}"]
            self.assertEqual((index["lang"], index["dir"], index["direction"]),
                             (lang, direction, direction))
            self.assertGreaterEqual(index["cards"], 1)
            self.assertGreaterEqual(index["webcal"], 1 + 8 + 66)
            self.assertGreaterEqual(index["copyButtonsShown"], 1)  # the script ran
            self.assertEqual(index["homeRightOfSwitch"], lang == "ar")
            self.assertEqual(index["external"], [])
            ev = r[f"event_{lang}"]
            self.assertEqual((ev["lang"], ev["dir"], ev["direction"]),
                             (lang, direction, direction))
            rows = ev["rows"]
            self.assertEqual(len(rows), 9)
            self.assertEqual([row["time"] for row in rows],
                             ["09:30 – 10:00", "", "10:00 – 10:30", "", "11:10 – 11:40",
                              "11:40 – 12:10", "12:10 – 12:30", "12:30 – 13:00",
                              "13:00 – 13:30"])
            self.assertTrue(all(row["height"] > 0 for row in rows))
            self.assertIn("untimed", rows[1]["classes"])
            # Breaks look different from sessions.
            self.assertIn("pause", rows[6]["classes"])
            self.assertNotEqual(rows[6]["background"], rows[4]["background"])
            # The time column is on the reading side: right in Arabic.
            self.assertEqual(ev["timeRightOfTitle"], lang == "ar")
            self.assertEqual(ev["ics"], f"/events/{WORKSHOP}.ics?lang={lang}")
        self.assertTrue(r["event_ar"]["rows"][0]["title"].startswith("استقبال"))
        self.assertEqual(r["event_fr"]["rows"][0]["title"], "Accueil des participants")
        self.assertTrue(r["accept_language_url"].endswith("/?lang=fr"))
        for name in ("index-ar", "index-fr", "event-ar", "event-fr"):
            self.assertGreater(os.path.getsize(os.path.join(artifacts(), name + ".png")), 10000)

    def test_agenda_prints_on_a4(self):
        for lang in ("ar", "fr"):
            pdf = os.path.join(artifacts(), f"event-{lang}.pdf")
            profile = tempfile.mkdtemp(prefix="agendad-chromium-")
            try:
                out = subprocess.run(
                    [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                     "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                     f"{self.base}/events/{WORKSHOP}?lang={lang}"],
                    capture_output=True, text=True, timeout=120)
            finally:
                shutil.rmtree(profile, ignore_errors=True)
            self.assertTrue(os.path.exists(pdf), out.stderr)
            info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True,
                                  check=True).stdout
            pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
            self.assertIn(pages, (1, 2), info)
            w, h = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info,
                                        re.M).groups())
            self.assertEqual((round(w), round(h)), (595, 842), info)
            text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                                  text=True, check=True).stdout
            self.assertIn("12:10", text)
            self.assertNotIn("webcal", text)  # the subscribe buttons are not printed


if __name__ == "__main__":
    unittest.main()
