"""The message catalogs (po/): po/agendad.pot is what po/make-pot.sh
extracts from today's sources; every catalog has every message of it,
translated and none fuzzy, and passes msgfmt --check; the glossary's terms
(po/GLOSSARY.md) are the words the catalogs use."""

import os
import re
import subprocess
import tempfile
import unittest

import po_file
from harness import SOURCE_DIR

PO_DIR = os.path.join(SOURCE_DIR, "po")
POT = os.path.join(PO_DIR, "agendad.pot")


def languages():
    with open(os.path.join(PO_DIR, "LINGUAS"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def catalog(lang):
    return os.path.join(PO_DIR, lang + ".po")


def keys(entries):
    return {(e.msgctxt, e.msgid, e.msgid_plural) for e in entries}


class CatalogTest(unittest.TestCase):
    def test_languages(self):
        self.assertEqual(sorted(languages()), ["ar", "fr"])

    def test_template_is_in_sync_with_the_sources(self):
        with tempfile.TemporaryDirectory() as tmp:
            fresh = os.path.join(tmp, "agendad.pot")
            subprocess.run(["bash", os.path.join(PO_DIR, "make-pot.sh"), SOURCE_DIR, fresh],
                           check=True, capture_output=True)
            want, have = keys(po_file.messages(fresh)), keys(po_file.messages(POT))
        self.assertEqual(sorted(want - have, key=str), [],
                         "new messages: run `ninja pot update-po` and translate them")
        self.assertEqual(sorted(have - want, key=str), [],
                         "messages gone from the sources: run `ninja pot update-po`")

    def test_every_catalog_has_every_message_translated(self):
        template = keys(po_file.messages(POT))
        for lang in languages():
            with self.subTest(lang=lang):
                entries = po_file.messages(catalog(lang))
                self.assertEqual(keys(entries), template, "run `ninja update-po`")
                fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
                untranslated = [e.msgid for e in entries if not e.translated]
                self.assertEqual(fuzzy, [], f"{lang}.po: fuzzy")
                self.assertEqual(untranslated, [], f"{lang}.po: untranslated")
                # gettext's own reading agrees.
                for option in ("--untranslated", "--only-fuzzy"):
                    r = subprocess.run(["msgattrib", option, "--no-obsolete", catalog(lang)],
                                       capture_output=True, text=True, check=True)
                    self.assertEqual(r.stdout, "", f"{lang}.po: msgattrib {option}")

    def test_msgfmt_check(self):
        for lang in languages():
            with self.subTest(lang=lang):
                r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull,
                                    catalog(lang)], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotRegex(r.stderr, r"fuzzy|untranslated")

    def test_no_stray_percent(self):
        # A text without format directives may still be used as a format
        # (ag_config_err "…"): a % of its own in a translation would be read
        # as one.
        for lang in languages():
            for e in po_file.messages(catalog(lang)):
                if "%" not in e.msgid:
                    for s in e.msgstr:
                        self.assertNotIn("%", s, f"{lang}.po: {e.msgid!r}")

    def test_direction_marker(self):
        marker = {e.msgid: e.msgstr[0] for e in po_file.messages(catalog("ar"))}["default:LTR"]
        self.assertEqual(marker, "default:RTL")
        marker = {e.msgid: e.msgstr[0] for e in po_file.messages(catalog("fr"))}["default:LTR"]
        self.assertEqual(marker, "default:LTR")

    def test_isolates_are_balanced(self):
        # An isolate left open would turn the rest of the line around.
        for e in po_file.messages(catalog("ar")):
            for s in e.msgstr:
                opened = sum(s.count(c) for c in "\u2066\u2067\u2068")
                self.assertEqual(opened, s.count("\u2069"), repr(s))


def glossary():
    """The rows of the first table of po/GLOSSARY.md: (English, French
    forms, Arabic forms)."""
    rows = []
    with open(os.path.join(PO_DIR, "GLOSSARY.md"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("| English |"))
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        en, fr, ar = [c.strip() for c in line.strip("|").split("|")]
        rows.append((en, [x.strip() for x in fr.split(" / ")], [x.strip() for x in ar.split(" / ")]))
    return rows


# What a message names as the admin types it, and so never translates:
# quoted text, backquoted text, a command (agendad token), and words with
# a character no prose word has (members.yaml, --plugin-dir,
# reminders.retry.max, kind:, %s).
LITERAL = re.compile(r'"[^"]*"|`[^`]*`|agendad [a-z]+|\S*[._:/=@{}<>&*\\%-]\S*')


def prose(msgid):
    return LITERAL.sub(" ", msgid)


def arabic_forms(forms):
    """With each form that starts with the article ال, the same after the
    preposition لـ, which takes the article's alif (للمجلس)."""
    return forms + ["لل" + f[2:] for f in forms if f.startswith("ال")]


class GlossaryTest(unittest.TestCase):
    def test_table(self):
        rows = glossary()
        english = [en for en, _, _ in rows]
        for term in ("territorial collectivity", "commune", "province", "region", "event"):
            self.assertIn(term, english)
        fr = {en: f for en, f, _ in rows}
        ar = {en: a for en, _, a in rows}
        self.assertIn("collectivité territoriale", fr["territorial collectivity"])
        self.assertIn("conseil provincial", fr["province"])
        self.assertIn("الجماعات الترابية", ar["territorial collectivity"])
        self.assertIn("المجلس الإقليمي", ar["province"])

    def test_catalogs_use_the_glossarys_words(self):
        fr = {(e.msgctxt, e.msgid): e for e in po_file.messages(catalog("fr"))}
        ar = {(e.msgctxt, e.msgid): e for e in po_file.messages(catalog("ar"))}
        used = set()
        for en, fr_forms, ar_forms in glossary():
            word = re.compile(r"\b" + re.escape(en) + r"s?\b", re.IGNORECASE)
            for key, e in fr.items():
                if not (word.search(prose(e.msgid)) or
                        (e.msgid_plural and word.search(prose(e.msgid_plural)))):
                    continue
                used.add(en)
                for lang, entry, forms in (("fr", e, fr_forms),
                                           ("ar", ar[key], arabic_forms(ar_forms))):
                    for s in entry.msgstr:
                        with self.subTest(term=en, lang=lang, msgid=e.msgid):
                            self.assertTrue(any(f.lower() in s.lower() for f in forms),
                                            f"{lang}: {s!r} uses none of {forms}")
        # The table is about the messages: most of its terms occur in them.
        for term in ("region", "province", "commune", "member", "event", "plugin"):
            self.assertIn(term, used)


if __name__ == "__main__":
    unittest.main()
