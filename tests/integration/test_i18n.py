"""Messages in the admin's language: `agendad check` on a broken config
under fr_FR.UTF-8 and ar_MA.UTF-8 (the locales scripts/deps.sh generates)
prints French and Arabic, with every file:line:col as it is, isolated left
to right in Arabic; LC_MESSAGES=C prints today's English byte for byte; the
language comes from LANGUAGE / LC_MESSAGES / LANG for messages alone, so
that numbers stay those of the C locale; a reload's config errors are
logged translated while the daemon's own log lines stay English; the
later commands (propose, attendance, rsvp-key, mail-in) and config
sections (scheduling, holidays, documents, http's tokens) likewise."""

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


def run(args, **lang):
    r = subprocess.run([BIN] + args, capture_output=True, env=clean_env(**lang), timeout=60)
    return r.returncode, r.stdout.decode("utf-8"), r.stderr.decode("utf-8")


def isolated(text):
    return LRI + text + PDI


class LaterCommandsInTheAdminsLanguage(unittest.TestCase):
    """What finding a time, invitations, documents and attendance print
    for an admin: French and Arabic as check's, the English of before
    under LC_MESSAGES=C."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agendad-i18n-")
        cls.config = os.path.join(cls.tmp, "config")
        shutil.copytree(SAMPLE_CONFIG, cls.config)
        cls.state = os.path.join(cls.tmp, "state.db")
        # A broken copy: working hours that end before they start, a
        # holiday with a time, a document outside documents/.
        cls.broken = os.path.join(cls.tmp, "broken")
        shutil.copytree(SAMPLE_CONFIG, cls.broken)
        yaml = os.path.join(cls.broken, "agendad.yaml")
        with open(yaml, encoding="utf-8") as f:
            text = f.read()
        text = text.replace('start: "08:30"\n    end: "16:30"', 'start: "16:30"\n    end: "08:00"')
        text = text.replace("\nplugins:", "\nholidays:\n  - add: 2027-03-12T10:00\n"
                            "    name: {fr: Exceptionnel}\n\nplugins:", 1)
        with open(yaml, "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(cls.broken, "events", "docs.yaml"), "w", encoding="utf-8") as f:
            f.write("- uid: docs-one\n  title: {fr: Atelier}\n  start: 2026-02-10\n"
                    "  host: fes\n  documents:\n    - title: {fr: PV}\n      kind: minutes\n"
                    "      published: 2026-04-10\n      file: ../secret.pdf\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_usage_lists_propose(self):
        synopsis = ("  propose --config DIR [--state PATH] --audience SEL[,SEL...] --duration DUR\n"
                    "          --from DATE --to DATE [--count N] [--step DUR] "
                    "[--format txt|json|ics]\n          [--lang ar|fr]\n")
        _, out, _ = run(["--help"], LC_MESSAGES="C")
        self.assertIn(synopsis + "          Propose meeting slots when the members SEL names are "
                      "free: no network\n", out)
        _, out, _ = run(["--help"], LANG="fr_FR.UTF-8")
        self.assertIn(synopsis + "          Propose des créneaux de réunion", out)

    def propose(self, *more, **lang):
        return run(["propose", "--config", self.config, "--state", self.state,
                    "--duration", "1h", "--from", "2026-02-01"] + list(more), **lang)

    def test_propose(self):
        bad = ("--audience", "fes,,taza", "--to", "2026-02-02")
        self.assertEqual(self.propose(*bad, LC_MESSAGES="C"), (
            2, "", 'agendad propose: audience "fes,,taza" has an empty selector: separate '
            "member ids and selectors with single commas\n"))
        self.assertEqual(self.propose(*bad, LANG="fr_FR.UTF-8")[2],
                         "agendad propose: audience « fes,,taza » contient un sélecteur vide : "
                         "séparez les identifiants de membres et les sélecteurs par une seule "
                         "virgule\n")
        _, _, err = self.propose("--audience", "fes", "--to", "2026-01-02", LANG="ar_MA.UTF-8")
        self.assertEqual(err, isolated("agendad propose") + ": التاريخ to \u200f(" +
                         isolated("2026-01-02") + ") يسبق التاريخ from \u200f(" +
                         isolated("2026-02-01") + ")\n")
        _, _, err = self.propose("--audience", "fess", "--to", "2026-02-02", LANG="fr_FR.UTF-8")
        self.assertEqual(err, "agendad propose: membre ou sélecteur « fess » introuvable\n")
        _, _, err = self.propose("--audience", "fes", "--to", "2026-02-02", "--format", "xml",
                                 LANG="fr_FR.UTF-8")
        self.assertEqual(err, "agendad propose: --format doit valoir txt, json ou ics, et non "
                         "« xml »\n")
        code, _, err = run(["list", "--config", self.config, "--from", "2026-02-01"],
                           LANG="ar_MA.UTF-8")
        self.assertEqual((code, err), (2, isolated("agendad list") + ": الخيار " +
                                       isolated("--from") + " خاص بالأمر propose وحده\n"))

    def check(self, **lang):
        code, out, err = run(["check", "--config", self.broken], **lang)
        self.assertEqual((code, out), (1, ""), err)
        return err.replace(self.broken + "/", "")

    def test_check_of_scheduling_holidays_and_documents(self):
        english = self.check(LC_MESSAGES="C")
        for line in ("error: working hours end at 08:00, which is not after their start at 16:30",
                     "error: a holiday is a whole day: write the date alone, YYYY-MM-DD",
                     'error: document file "../secret.pdf": each part of the path must be a name: '
                     'no empty part, "." or ".."'):
            self.assertIn(line, english)
        french = self.check(LANG="fr_FR.UTF-8")
        for line in ("erreur : les heures de travail se terminent à 08:00, ce qui n'est pas après "
                     "leur début à 16:30",
                     "erreur : un jour férié est une journée entière : écrivez la date seule",
                     "erreur : fichier de document « ../secret.pdf » : chaque partie du chemin "
                     "doit être un nom"):
            self.assertIn(line, french)
        arabic = self.check(LANG="ar_MA.UTF-8")
        self.assertIn("خطأ: تنتهي ساعات العمل على الساعة " + isolated("08:00") +
                      "، أي ليس بعد بدايتها على الساعة " + isolated("16:30"), arabic)
        self.assertIn("خطأ: ملف الوثيقة «" + isolated("../secret.pdf") + "»: يجب أن يكون كل "
                      "جزء من المسار اسماً", arabic)
        self.assertNotRegex(french + arabic, r"\berror\b|\bdocument file\b|\bholiday\b")

    def test_attendance_and_rsvp_key(self):
        uid = "2023-02-16-openness-training"
        args = ["attendance", "--config", self.config, "--state", self.state, uid, "--present",
                "fes,fess"]
        code, _, err = run(args, LC_MESSAGES="C")
        self.assertEqual(code, 1)
        self.assertIn('agendad attendance: cannot record attendance: no member "fess" in '
                      "members.yaml\n", err)
        _, _, err = run(args, LANG="fr_FR.UTF-8")
        self.assertIn("agendad attendance: impossible d'enregistrer les présences : aucun membre "
                      "« fess » dans members.yaml\n", err)
        code, out, _ = run(args[:-1] + ["fes"], LANG="ar_MA.UTF-8")
        self.assertEqual((code, out), (0, "سُجّل حضور النشاط " + isolated(uid) +
                                       ": الحاضرون: 1، الغائبون: 0\n"))
        code, out, _ = run(["rsvp-key", "--config", self.config, "--state", self.state, "rotate",
                            "--grace", "0"], LANG="fr_FR.UTF-8")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^la clé \d+ signe désormais ; les clés précédentes ne servent "
                         r"plus à vérifier\n$")


class MailInAndTokensInTheAdminsLanguage(unittest.TestCase):
    """mail-in's errors, which an MTA logs or bounces, in the language it
    runs mail-in under; the admin token's config errors."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agendad-i18n-")
        cls.config = os.path.join(cls.tmp, "config")
        shutil.copytree(SAMPLE_CONFIG, cls.config)
        cls.socket = os.path.join(cls.tmp, "mail-in.sock")  # no daemon listens
        cls.yaml = os.path.join(cls.config, "agendad.yaml")
        with open(cls.yaml, encoding="utf-8") as f:
            cls.text = f.read()
        cls.write_yaml("")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def write_yaml(cls, http_keys):
        text = cls.text.replace("\nhttp:\n", "\nhttp:\n" + http_keys, 1)
        with open(cls.yaml, "w", encoding="utf-8") as f:
            f.write(text + f"\ninvitations:\n  mail_socket: {cls.socket}\n")

    def mail_in(self, **lang):
        r = subprocess.run([BIN, "mail-in", "--config", self.config], input=b"Subject: x\n\nx\n",
                           capture_output=True, env=clean_env(**lang), timeout=60)
        self.assertEqual((r.returncode, r.stdout), (75, b""), r.stderr)  # the MTA retries
        return r.stderr.decode("utf-8")

    def test_mail_in_without_the_daemon(self):
        # The reason in parentheses is the C library's, in its own language.
        err = self.mail_in(LC_MESSAGES="C")
        self.assertEqual(err, f"agendad mail-in: {self.socket}: agendad is not running "
                         "(No such file or directory)\n")
        err = self.mail_in(LANG="fr_FR.UTF-8")
        self.assertRegex(err, "^" + re.escape(f"agendad mail-in: {self.socket} : agendad n'est "
                                              "pas en cours d'exécution (") + r"[^()\n]+\)\n$")
        err = self.mail_in(LANG="ar_MA.UTF-8")
        self.assertRegex(err, "^" + re.escape(isolated("agendad mail-in") + ": " +
                                              isolated(self.socket) + ": الخدمة agendad لا تعمل (") +
                         r"[^()\n]+\)\n$")

    def check(self, http_keys, **lang):
        self.write_yaml(http_keys)
        try:
            code, out, err = run(["check", "--config", self.config], **lang)
        finally:
            self.write_yaml("")
        self.assertEqual((code, out), (1, ""), err)
        return err

    def test_admin_token_file(self):
        with open(os.path.join(self.config, "weak.token"), "w") as f:
            f.write("short\n")
        with open(os.path.join(self.config, "shared.token"), "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        err = self.check("  admin_token_file: weak.token\n", LANG="fr_FR.UTF-8")
        self.assertIn(": erreur : impossible d'utiliser admin_token_file « " +
                      os.path.join(self.config, "weak.token") + " » : le jeton doit compter de 16 "
                      "à 1024 caractères (écrivez-y un jeton aléatoire", err)
        err = self.check("  admin_token_file: shared.token\n  metrics_token_file: shared.token\n",
                         LANG="fr_FR.UTF-8")
        self.assertIn(": erreur : admin_token_file contient le même jeton que metrics_token_file : "
                      "donnez au jeton d'administration une valeur propre", err)
        self.assertNotRegex(err, r"\berror\b|\btoken\b")


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
