"""Messages in the admin's language: `agendad check` on a broken config
under fr_FR.UTF-8 and ar_MA.UTF-8 (the locales scripts/deps.sh generates)
prints French and Arabic, with every file:line:col as it is, isolated left
to right in Arabic; LC_MESSAGES=C prints today's English byte for byte; the
language comes from LANGUAGE / LC_MESSAGES / LANG for messages alone, so
that numbers stay those of the C locale; a reload's config errors are
logged translated while the daemon's own log lines stay English."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN, SAMPLE_CONFIG, Daemon

PLUGINS = os.environ["AGENDAD_PLUGIN_BUILD_DIR"]
LRI, PDI = "\u2066", "\u2069"

# Three mistakes an admin makes: a key mistyped, a date that does not
# exist, a member's id mistyped. The suggestions are keys and ids: never
# translated.
BROKEN_EVENT = """\
- uid: broken-one
  title: {fr: Atelier, ar: ورشة}
  locaton: {fr: Fès}
  start: 2026-02-30
  host: rabat-sale-kenitre
"""
KEYS = ("uid, title, description, location, start, end, timezone, host, audience, "
        "categories, status, visibility, recurrence, reminders, agenda, online_url, "
        "invitations, publish_attendance, documents")
# What `agendad check` printed before its messages were translatable.
ENGLISH = (
    '{f}:3:3: error: unknown key "locaton" in event (did you mean "location"? expected one '
    'of: ' + KEYS + ')\n'
    '{f}:4:10: error: "2026-02-30" is not a real date\n'
    '{f}:5:9: error: unknown member "rabat-sale-kenitre" (did you mean "rabat-sale-kenitra"?)\n'
    '{d}: 3 errors; the running daemon keeps its last good configuration\n')
LOCATIONS = ["events/x.yaml:3:3", "events/x.yaml:4:10", "events/x.yaml:5:9"]


def clean_env(**lang):
    """The environment with every language variable empty (which the C
    library takes as unset), then lang's: also over the test's own
    environment, which Daemon adds it to."""
    env = dict(os.environ)
    env.update({k: "" for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "LC_NUMERIC")})
    env.update(lang)
    return env


class CheckInTheAdminsLanguage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agendad-i18n-")
        cls.config = os.path.join(cls.tmp, "config")
        shutil.copytree(SAMPLE_CONFIG, cls.config)
        with open(os.path.join(cls.config, "events", "x.yaml"), "w", encoding="utf-8") as f:
            f.write(BROKEN_EVENT)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, **lang):
        r = subprocess.run([BIN, "check", "--config", self.config, "--plugin-dir", PLUGINS],
                           capture_output=True, env=clean_env(**lang), timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, b"")
        return r.stderr.decode("utf-8")  # strict: the output is valid UTF-8

    def english(self):
        return ENGLISH.format(f=os.path.join(self.config, "events", "x.yaml"), d=self.config)

    def assertLocationsKept(self, text, isolated):
        lines = text.splitlines()
        self.assertEqual(len(lines), 4, text)
        for line, loc in zip(lines, LOCATIONS):
            where = os.path.join(self.config, loc)
            prefix = (LRI + where + PDI if isolated else where) + ": "
            self.assertTrue(line.startswith(prefix), (line, prefix))
        self.assertTrue(lines[3].startswith(
            (LRI + self.config + PDI if isolated else self.config) + ": "), lines[3])

    def test_c_is_todays_english(self):
        self.assertEqual(self.check(LC_MESSAGES="C"), self.english())
        self.assertEqual(self.check(), self.english())
        # LC_MESSAGES wins over LANG, and LANGUAGE counts for nothing in C.
        self.assertEqual(self.check(LANG="fr_FR.UTF-8", LC_MESSAGES="C", LANGUAGE="ar"),
                         self.english())

    def test_french(self):
        text = self.check(LANG="fr_FR.UTF-8")
        self.assertLocationsKept(text, isolated=False)
        for words in ("erreur : événement : clé inconnue « locaton »",
                      "vouliez-vous dire « location » ? clés possibles : " + KEYS,
                      "« 2026-02-30 » n'est pas une date qui existe",
                      "membre « rabat-sale-kenitre » introuvable (vouliez-vous dire "
                      "« rabat-sale-kenitra » ?)",
                      ": 3 erreurs ; le démon en cours d'exécution garde sa dernière "
                      "configuration valide"):
            self.assertIn(words, text)
        self.assertNotIn(" error", text)
        self.assertNotIn(LRI, text)

    def test_arabic(self):
        text = self.check(LANG="ar_MA.UTF-8")
        self.assertLocationsKept(text, isolated=True)
        lines = text.splitlines()
        for line in lines[:3]:
            self.assertIn(PDI + ": خطأ: ", line)
        self.assertIn("نشاط: مفتاح غير معروف «locaton» (هل تقصد «location»؟", lines[0])
        self.assertIn("«2026-02-30» ليس تاريخاً موجوداً", lines[1])
        self.assertIn("لم يُعثر على عضو «rabat-sale-kenitre» (هل تقصد «rabat-sale-kenitra»؟)",
                      lines[2])
        self.assertIn(": 3 أخطاء؛ تحتفظ الخدمة الجارية بآخر إعدادات سليمة لديها", lines[3])
        self.assertNotRegex(text, r"\berror\b")
        # Every isolate is closed, on the line that opens it.
        for line in lines:
            self.assertEqual(line.count(LRI), line.count(PDI), line)

    def test_language_wins_over_lang(self):
        # LANGUAGE, a list of languages by preference, picks French over
        # the Arabic of LANG (it needs a LANG other than C to count).
        text = self.check(LANG="ar_MA.UTF-8", LANGUAGE="fr")
        self.assertIn("erreur : événement : clé inconnue « locaton »", text)
        self.assertLocationsKept(text, isolated=False)
        text = self.check(LANG="fr_FR.UTF-8", LC_MESSAGES="ar_MA.UTF-8")
        self.assertIn("خطأ: ", text)

    def test_usage_and_errors_of_the_command_line(self):
        env = clean_env(LANG="fr_FR.UTF-8")
        r = subprocess.run([BIN, "--help"], capture_output=True, text=True, env=env)
        self.assertIn("Utilisation : agendad COMMANDE [OPTIONS]", r.stdout)
        # The synopses and options are typed as they are: never translated.
        self.assertIn("  check   --config DIR [--plugin-dir DIR]\n          Valide la "
                      "configuration", r.stdout)
        self.assertIn("  -c, --config DIR       répertoire de configuration", r.stdout)
        r = subprocess.run([BIN, "export", "--config", self.config], capture_output=True,
                           text=True, env=env)
        self.assertEqual((r.returncode, r.stderr),
                         (2, "agendad export: --out DIR est obligatoire\n"))
        r = subprocess.run([BIN, "export", "--config", self.config], capture_output=True,
                           text=True, env=clean_env(LANG="ar_MA.UTF-8"))
        self.assertEqual(r.stderr, LRI + "agendad export" + PDI + ": الخيار " + LRI +
                         "--out DIR" + PDI + " إلزامي\n")
        r = subprocess.run([BIN, "--help"], capture_output=True, text=True,
                           env=clean_env(LC_MESSAGES="C"))
        self.assertIn("Usage: agendad COMMAND [OPTIONS]\n\nCommands:\n  run ", r.stdout)


class DaemonLanguage(unittest.TestCase):
    def test_reload_logs_config_errors_translated_and_its_own_lines_in_english(self):
        d = Daemon(plugin_dir=PLUGINS, env=clean_env(LANG="fr_FR.UTF-8"))
        with d:
            d.write("events/x.yaml", BROKEN_EVENT)
            log = d.reload("configuration not reloaded")
            where = d.path("events", "x.yaml")
            self.assertIn(f"{where}:5:9: erreur : membre « rabat-sale-kenitre » introuvable", log)
            self.assertIn("configuration not reloaded (SIGHUP): still serving the previous one",
                          log)
            status, _, _ = d.get("/feeds/network.ics")
            self.assertEqual(status, 200)

    def test_numbers_stay_those_of_the_c_locale(self):
        # LC_ALL names every category: only the messages' is taken from it.
        fr = clean_env(LC_ALL="fr_FR.UTF-8")
        with Daemon(plugin_dir=PLUGINS, env=fr) as d:
            status, _, metrics = d.get("/metrics")
            self.assertEqual(status, 200)
            text = metrics.decode()
            self.assertRegex(text, r'le="0\.\d+"')
            self.assertNotRegex(text, r'\d,\d')
            _, _, feed_fr = d.get("/feeds/network.ics")
        with Daemon(plugin_dir=PLUGINS, env=clean_env(LC_ALL="C")) as d:
            _, _, feed_c = d.get("/feeds/network.ics")
        # DTSTAMP is the time the feed is built, CREATED and LAST-MODIFIED
        # the time its store was first filled, and each daemon has a port
        # of its own: the rest (unfolded) is identical.
        def strip(feed):
            return re.sub(rb"(DTSTAMP|CREATED|LAST-MODIFIED):\d{8}T\d{6}Z|127\.0\.0\.1:\d+",
                          b"", feed.replace(b"\r\n ", b""))
        self.assertEqual(strip(feed_fr), strip(feed_c))


if __name__ == "__main__":
    unittest.main()
