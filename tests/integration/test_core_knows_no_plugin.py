"""The rule: no core file (core/src, core/include, core/CMakeLists.txt)
mentions a bundled plugin's name, the keys of its agendad.yaml section, the
keys of its state, its routes or the names it registers. A plugin brings
what it provides (routes, reminder channels, event sources, renderers,
commands) through the host table, and reads its own section and state
itself; the core offers capabilities that any plugin may use, such as a
member's sync settings (members.yaml `sync:`), which are the network's
model, not a plugin's.

Plugins are found under plugins/ (a folder whose sources declare the plugin
with AGENDAD_PLUGIN_DECLARE); their registered names are read from their
sources; the keys are listed below by hand, checked to exist in the plugin's
own sources so that the list cannot rot. The allowed mentions are listed
with their reason; one that no longer matches anything fails too."""

import os
import re
import unittest

from harness import SOURCE_DIR

CORE = [os.path.join(SOURCE_DIR, "core", p) for p in ("src", "include", "CMakeLists.txt")]
PLUGINS = os.path.join(SOURCE_DIR, "plugins")

# Keys of a plugin's agendad.yaml section and of its state that only it
# uses. Words the core uses for its own meaning (timeout, timezone, ca_file,
# tls_insecure, etag, last_error, url...) are left out: a match would say
# nothing.
PLUGIN_KEYS = {
    "sync": ["parser_memory", "parser_cpu", "max_backoff", "window_past", "window_future",
             "max_events", "connect_timeout", "last_attempt", "last_success", "push_last_error",
             "push_last_attempt", "push_last_success", "push_pushed", "push_deleted",
             "push_conflicts"],
    "agenda": ["hijri", "hijri_adjust", "templates"],
    "example": ["greeting"],
    "reminder-email": ["password_credential"],
    "reminder-webhook": ["secret_file", "secret_credential"],
    "reminder-command": [],
}

# (file under the source tree, text of the line, why it may stay).
ALLOWED = [
    # Genuinely core model: the words are also keys of the network's own
    # config, with the core's meaning.
    ("core/src/config/config_member.c", '"sync",     "reminders", NULL};',
     "members.yaml `sync:`: what the admin allows for a member's own calendar (model)"),
    ("core/src/config/config_member.c", 'ag_config_node_get(n, "sync"), d);',
     "members.yaml `sync:` (model)"),
    ("core/src/config/config_sync.c", 'ag_config_check_keys(d, n, keys, "sync")',
     "members.yaml `sync:` (model)"),
    ("core/src/config/config_event.c",
     '"recurrence", "reminders", "agenda",      "online_url", "invitations",',
     "an event's `agenda:`, its slots (model)"),
    # A document's kind `agenda` (events.yaml `documents:`), the model's word.
    ("core/src/model/model.c", 'ag_document_kind_names[] = {"agenda", "minutes"',
     "the kinds of an event's documents (model)"),
    ("core/src/model/model.h", '/* "agenda", "minutes", ... by kind;',
     "the kinds of an event's documents, documented (model)"),
    ("core/src/config/config_event.c", 'ag_config_node_get(n, "agenda")',
     "an event's `agenda:` (model)"),
    ("core/src/config/config_slots.c", 'ag_config_seq(d, n, "agenda")',
     "an event's `agenda:` (model)"),
    # Decided (issue 12 item 4): the default of agendad.yaml `reminders.channels`
    # names a channel, "email", not a plugin: a default of the config
    # language, documented in the admin's reference. The rule that such a
    # channel needs a member's address is the reminder-email plugin's check.
    ("core/src/config/config_reminders.c", 'strdup("email")',
     "the default of agendad.yaml `reminders.channels` is the channel named email: a default "
     "of the config language that the admin's reference documents"),
    ("core/src/config/config.h", 'default ["email"]', "the same default, documented"),
    ("core/include/agendad/plugin.h", 'refer to, e.g. "email".',
     "an example in the ABI's documentation of register_channel"),
    # Decided (issue 14): invitations go through the channel named email
    # alone, the default channel of reminders.channels; doc/admin.md
    # ("Invitations") says so, and without such a channel they wait.
    ("core/src/reminders/internal/reminders_invite.h",
     '#define AG_REMINDERS_INVITE_CHANNEL "email"',
     "invitations go through the channel named email (issue 14), as doc/admin.md says"),
    ("core/include/agendad/plugin.h", 'only to the channel named "email");',
     "the ABI's documentation says which channel invitations are handed to"),
]


def plugins():
    """{plugin name: its folder} for every bundled plugin."""
    found = {}
    for d in sorted(os.listdir(PLUGINS)):
        for f in source_files(os.path.join(PLUGINS, d)):
            m = re.search(r'AGENDAD_PLUGIN_DECLARE\("([^"]+)"', read(f))
            if m:
                found[m.group(1)] = os.path.join(PLUGINS, d)
    return found


def source_files(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for dp, _, fs in os.walk(path):
        out += [os.path.join(dp, f) for f in fs
                if f.endswith((".c", ".h", ".txt", ".cmake", ".in"))]
    return sorted(out)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def registered_names(folder):
    """(kind, name) of the channels, sources, renderers and commands the
    plugin registers."""
    names = set()
    for f in source_files(folder):
        names |= set(re.findall(
            r'register_(channel|source|renderer|command)\([^,]+,\s*"([^"]+)"', read(f)))
    return names


def patterns(name, folder):
    """What would show that the core knows this plugin."""
    e = re.escape(name)
    pats = [
        (rf"\b{e}\s+plugin", "the plugin's name"),
        (rf"\bplugins?\.(?:load\.)?{e}\b", "its section or its state namespace"),
        (rf"/plugins/{e}\b", "its routes"),
        (rf"\b{e}\.so\b", "its file"),
    ]
    if "-" in name:  # a name no core word shares
        pats.append((rf"\b{e}\b", "the plugin's name"))
    pats += [(rf"\b{re.escape(k)}\b", "its key " + k) for k in PLUGIN_KEYS.get(name, [])]
    for kind, n in sorted(registered_names(folder)):
        pats.append((rf'"{re.escape(n)}"', f'the {kind} "{n}" it registers'))
        if kind == "channel":
            pats.append((rf"\b{re.escape(n)} channel\b", f'the channel "{n}" it registers'))
    pats.append((rf'"{e}"', "the plugin's name"))
    return pats


class CoreKnowsNoPlugin(unittest.TestCase):
    def test_the_key_lists_name_real_keys(self):
        found = plugins()
        self.assertEqual(sorted(found), sorted(PLUGIN_KEYS), "a bundled plugin without a key list")
        for name, keys in PLUGIN_KEYS.items():
            text = "".join(read(f) for f in source_files(found[name]))
            for k in keys:
                self.assertIn(f'"{k}', text, f"{name} has no key {k}")

    def test_no_core_file_mentions_a_plugin(self):
        found = plugins()
        rules = [(re.compile(p, re.I if not p.startswith('"') else 0), why, name)
                 for name, folder in found.items() for p, why in patterns(name, folder)]
        hits, used = [], set()
        for top in CORE:
            for path in source_files(top):
                rel = os.path.relpath(path, SOURCE_DIR)
                for no, line in enumerate(read(path).split("\n"), 1):
                    for rx, why, name in rules:
                        if not rx.search(line):
                            continue
                        allowed = [i for i, (f, text, _) in enumerate(ALLOWED)
                                   if f == rel and text in line]
                        if allowed:
                            used.update(allowed)
                        else:
                            hits.append(f"{rel}:{no}: {why} of plugin {name}: {line.strip()}")
                        break
        self.assertEqual(hits, [], "core files that know a plugin:\n" + "\n".join(hits))
        stale = [ALLOWED[i][:2] for i in range(len(ALLOWED)) if i not in used]
        self.assertEqual(stale, [], "allowed mentions that no longer exist: drop them")


if __name__ == "__main__":
    unittest.main()
