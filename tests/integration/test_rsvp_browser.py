"""A one-click answer in Debian's headless Chromium (tests/browser/rsvp_click.mjs,
on playwright-core): open the link, see the bilingual confirmation page,
press its button, see the answer recorded and the tally change; the GET
alone changed nothing; a tampered link shows a refusal in plain words.
Screenshots go to build/artifacts/browser/."""

import json
import os
import shutil
import subprocess
import time
import unittest

import rsvp_env
from harness import SOURCE_DIR
from rsvp_env import RsvpDaemon

BUILD = os.environ.get("AGENDAD_BUILD_DIR", "/tmp")
BROWSER_SRC = os.path.join(SOURCE_DIR, "tests", "browser")
# The real binary: Debian's /usr/bin/chromium is a wrapper script.
CHROMIUM = "/usr/lib/chromium/chromium"


def npm_dir():
    """playwright-core from the lock file, installed into the build tree once
    (the agenda plugin's browser test shares it)."""
    dest = os.path.join(BUILD, "browser")
    if not os.path.exists(os.path.join(dest, "node_modules", "playwright-core")):
        os.makedirs(dest, exist_ok=True)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(BROWSER_SRC, f), dest)
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=dest,
                       check=True, timeout=300)
    shutil.copy(os.path.join(BROWSER_SRC, "rsvp_click.mjs"), dest)
    return dest


def artifacts():
    d = os.path.join(BUILD, "artifacts", "browser")
    os.makedirs(d, exist_ok=True)
    return d


class Browser(unittest.TestCase):
    def test_click_to_answer(self):
        self.assertTrue(os.access(CHROMIUM, os.X_OK),
                        "chromium is missing: bash scripts/deps.sh --test")
        now = int(time.time())
        d = RsvpDaemon(now)
        try:
            ids = rsvp_env.prepare(d, now)
            d.start()
            base = f"http://127.0.0.1:{d.port}"
            inv = ids[("future-meeting", "bureau@taza.test")]
            token = rsvp_env.link_token(d, inv, "future-meeting", "bureau@taza.test", "accept",
                                        rsvp_env.event_end(now))
            tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
            dest = npm_dir()
            out = subprocess.run(["node", os.path.join(dest, "rsvp_click.mjs"),
                                  f"{base}/rsvp/{token}", f"{base}/rsvp/{tampered}",
                                  f"{base}/events/future-meeting/attendance.json", artifacts()],
                                 cwd=dest, capture_output=True, text=True, timeout=180,
                                 env=dict(os.environ, CHROMIUM_BIN=CHROMIUM))
            self.assertEqual(out.returncode, 0, out.stderr)
            r = json.loads(out.stdout)
            c = r["confirm"]
            self.assertEqual(r["confirmStatus"], 200)
            self.assertEqual((c["lang"], c["dir"], c["direction"]), ("ar", "rtl", "rtl"))
            self.assertEqual([(s["lang"], s["direction"]) for s in c["sections"]],
                             [("ar", "rtl"), ("fr", "ltr")])
            self.assertIn("سأحضر", c["sections"][0]["text"])
            self.assertIn("je participerai", c["sections"][1]["text"])
            self.assertTrue(c["button"]["visible"])
            # Opening the page recorded nothing.
            self.assertNotIn("taza", r["tallyBefore"]["accepted"])
            self.assertIn("taza", r["tallyBefore"]["no_answer"])
            a = r["answered"]
            self.assertEqual(r["answeredStatus"], 200)
            self.assertTrue(a["recorded"], a["text"])
            self.assertIn("تم تسجيل ردكم", a["text"])
            self.assertIn("Votre réponse est enregistrée", a["text"])
            self.assertIn("taza", r["tallyAfter"]["accepted"])
            self.assertNotIn("taza", r["tallyAfter"]["no_answer"])
            # The browser posting the same form again: refused as a replay.
            self.assertEqual(r["reloadStatus"], 403)
            self.assertEqual(r["reloaded"]["refused"][0], "replayed")
            self.assertEqual(r["tamperedStatus"], 403)
            self.assertEqual(r["tampered"]["refused"][0], "tampered")
            self.assertIn("هذا الرابط غير صالح", r["tampered"]["text"])
            self.assertIn("Ce lien n'est pas valide", r["tampered"]["text"])
            self.assertIsNone(r["tampered"]["button"])
            # The page needs nothing its Content-Security-Policy refuses.
            self.assertEqual([m for m in r["console"] if "Content Security Policy" in m], [])
            for name in ("rsvp-confirm", "rsvp-answered", "rsvp-tampered"):
                self.assertGreater(os.path.getsize(os.path.join(artifacts(), name + ".png")),
                                   5000)
            with rsvp_env.db(d) as c:
                n = c.execute("SELECT count(*) FROM rsvp_replies WHERE invitation = ?",
                              (inv,)).fetchone()[0]
            self.assertEqual(n, 1)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main()
