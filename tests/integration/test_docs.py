"""The docs cannot drift from the code or from each other:

(a) every command and option agendad(8) documents is documented in
    doc/admin.md, and every command admin.md documents is in the man page;
    every option of the command line's getopt table is in both;
(b) every config key the config loader accepts (its key tables, found by
    content anywhere under core/src) and every setting a bundled plugin
    reads is in one reference table of doc/admin.md;
(c) README.md has at most 250 lines, and every relative link in README.md
    and doc/*.md points to an existing file (and heading).

Reads sources and docs only: no build needed."""

import glob
import os
import re
import unittest

import doc_sources as ds
from doc_sources import SOURCE_DIR

README = os.path.join(SOURCE_DIR, "README.md")
ADMIN = os.path.join(SOURCE_DIR, "doc", "admin.md")
MAN = os.path.join(SOURCE_DIR, "doc", "agendad.8")


def admin_commands(md):
    """`### \\`agendad NAME\\`` headings of the Commands section."""
    return {m.group(1) for m in re.finditer(r"^###\s+`agendad ([a-z][a-z -]*)`\s*$",
                                            ds.section(md, "Commands"), re.M)}


def admin_options(md):
    """The options of the Commands section's Options table."""
    options = set()
    for _, cells in ds.tables(ds.section(md, "Options", level=3)):
        for cell in cells:
            options.update(re.findall(r"`(--?[A-Za-z][a-z-]*)", cell))
    return options


def man_commands(roff):
    return {ds.roff_plain(t) for t in ds.roff_tags(ds.roff_section(roff, "COMMANDS"))}


def man_options(roff):
    options = set()
    for tag in ds.roff_tags(ds.roff_section(roff, "OPTIONS")):
        options.update(re.findall(r"(?<![\w-])(--?[A-Za-z][a-z-]*)", ds.roff_plain(tag)))
    options.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)",
                              ds.roff_plain(ds.roff_section(roff, "SYNOPSIS"))))
    return options


class ManPageAndAdmin(unittest.TestCase):
    """(a) the man page and doc/admin.md document the same command line."""

    @classmethod
    def setUpClass(cls):
        cls.admin = ds.read(ADMIN)
        cls.man = ds.read(MAN)

    def test_every_man_command_is_in_admin_and_back(self):
        man, admin = man_commands(self.man), admin_commands(self.admin)
        self.assertGreaterEqual(len(man), 7, man)
        self.assertIn("run", man)
        self.assertEqual(sorted(man - admin), [],
                         "commands of agendad(8) missing from doc/admin.md, \"Commands\"")
        self.assertEqual(sorted(admin - man), [],
                         "commands of doc/admin.md missing from agendad(8), COMMANDS")

    def test_every_man_option_is_in_admin_and_back(self):
        man, admin = man_options(self.man), admin_options(self.admin)
        self.assertIn("--config", man)
        self.assertIn("-c", man)
        self.assertEqual(sorted(man - admin), [],
                         "options of agendad(8) missing from doc/admin.md's Options table")
        self.assertEqual(sorted(admin - man), [],
                         "options of doc/admin.md missing from agendad(8)")

    def test_every_getopt_option_is_documented(self):
        longs, shorts = ds.cli_options()
        self.assertIn("config", longs, "no getopt table found under core/src")
        documented_admin, documented_man = admin_options(self.admin), man_options(self.man)
        for opt in sorted({"--" + o for o in longs} | {"-" + s for s in shorts}):
            self.assertIn(opt, documented_admin, f"{opt} is not in doc/admin.md's Options table")
            self.assertIn(opt, documented_man, f"{opt} is not in agendad(8), OPTIONS")

    def test_the_man_page_sends_readers_to_admin_md_for_config_keys(self):
        config = ds.roff_plain(ds.roff_section(self.man, "CONFIGURATION"))
        self.assertIn("/usr/share/doc/agendad/admin.md", config)
        self.assertNotRegex(self.man, r"(?m)^\.SS\s", "the config reference lives in admin.md")


class ConfigKeysInAdmin(unittest.TestCase):
    """(b) every accepted config key is in a reference table of admin.md."""

    @classmethod
    def setUpClass(cls):
        cls.admin = ds.read(ADMIN)
        cls.tables = ds.reference_tables(cls.admin)

    def assertTableDocuments(self, what, keys):
        """Some single table of admin.md lists every key of `keys`."""
        keys = set(keys)
        best = max(self.tables, key=lambda t: len(keys & t[1]))
        missing = sorted(keys - best[1])
        self.assertEqual(missing, [],
                         f"{what}: no table of doc/admin.md lists all of {sorted(keys)}; "
                         f"the closest (line {best[0]}) lacks {missing}")

    def test_the_loader_tables_are_found(self):
        tables = ds.config_key_tables()
        keys = ds.config_keys()
        # If a refactor hides the tables from the search, say so rather than
        # pass with nothing checked.
        self.assertGreaterEqual(len(tables), 15, tables)
        for known in ("listen", "window_from", "metrics_token_file", "members", "network_wins",
                      "rule", "attempts", "axis", "before"):
            self.assertIn(known, keys)

    def test_every_config_key_is_in_admin(self):
        for path, label, keys in ds.config_key_tables():
            with self.subTest(table=label, file=path):
                self.assertTableDocuments(f"{label} ({path})", keys)

    def test_the_plugin_settings_are_found(self):
        plugins = ds.plugin_settings()
        for name, known in (("agenda", "hijri"), ("sync", "max_backoff"),
                            ("reminder-email", "password_credential"),
                            ("reminder-webhook", "secret_file"), ("reminder-command", "program"),
                            ("example", "greeting")):
            self.assertIn(known, plugins.get(name, ()), name)

    def test_every_plugin_setting_is_in_admin(self):
        for name, keys in sorted(ds.plugin_settings().items()):
            with self.subTest(plugin=name):
                self.assertIn(f"plugins.load.{name}", self.admin)
                if keys:
                    self.assertTableDocuments(f"plugin {name}", keys)


class ReadmeAndLinks(unittest.TestCase):
    """(c) a short README, and no dead link between the docs."""

    def test_readme_is_short(self):
        with open(README, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        self.assertLessEqual(n, 250, "README.md is for newcomers: move details to doc/")

    def test_readme_keeps_the_two_commands(self):
        readme = ds.read(README)
        self.assertIn("bash scripts/start.sh", readme)
        self.assertIn("bash scripts/test.sh", readme)
        self.assertIn("fresh Debian 12 machine", readme)

    def test_relative_links_point_to_existing_files_and_headings(self):
        docs = [README] + sorted(glob.glob(os.path.join(SOURCE_DIR, "doc", "*.md")))
        self.assertIn(ADMIN, docs)
        checked = 0
        for doc in docs:
            md = ds.read(doc)
            for line, target in ds.links(md):
                if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:...
                    continue
                where = f"{os.path.relpath(doc, SOURCE_DIR)}:{line}: {target}"
                path, _, fragment = target.partition("#")
                full = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
                checked += 1
                with self.subTest(link=where):
                    self.assertTrue(os.path.exists(full), f"{where}: no such file")
                    if fragment and full.endswith(".md") and os.path.isfile(full):
                        self.assertIn(fragment, ds.anchors(ds.read(full)),
                                      f"{where}: no such heading")
        self.assertGreater(checked, 20)


if __name__ == "__main__":
    unittest.main()
