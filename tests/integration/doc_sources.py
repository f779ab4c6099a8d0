"""What the documentation must cover, read from the sources, and what the
documentation says, read from its Markdown and roff. Used by test_docs.py
and test_install.py; needs no build.

The sources are found by content, not by path: the config loader's key
tables are the string arrays handed to a `*keys*(...)` check anywhere under
core/src (config_settings.c, config_sections.c, config_member.c... wherever
they live), and a bundled plugin's settings are the literal keys it reads
through its host's `config_get` (directly or through a helper such as
plugins/common's `po_opt`), or compares config keys with."""

import os
import re

SOURCE_DIR = os.environ.get("AGENDAD_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

KEY = re.compile(r"[a-z][a-z0-9_]*\Z")
STRING = r'"(?:\\.|[^"\\\n])*"'


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def c_files(root):
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                yield os.path.join(dirpath, n)


def strip_comments(text):
    """C text without comments; string literals kept."""
    def keep(m):
        s = m.group(0)
        return s if s.startswith('"') else " "
    return re.sub(r'//[^\n]*|/\*.*?\*/|' + STRING + r"|'(?:\\.|[^'\\])'", keep, text, flags=re.S)


def call_args(text, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren."""
    depth, args, cur, i = 0, [], [], open_paren
    while i < len(text):
        c = text[i]
        if c == '"':
            m = re.compile(STRING).match(text, i)
            if m:
                cur.append(m.group(0))
                i = m.end()
                continue
        if c in "([{":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    return args


def literal(arg):
    m = re.fullmatch(r'"([^"\\]*)"', arg)
    return m.group(1) if m else None


def string_array_defs(text):
    """[(offset, name, [strings])] of every `const char *const NAME[] = {...}`."""
    return [(m.start(), m.group(1), re.findall(r'"([^"\\]*)"', m.group(2)))
            for m in re.finditer(
                r"\bconst\s+char\s*\*\s*const\s+(\w+)\s*\[\s*\w*\s*\]\s*=\s*\{(.*?)\}\s*;",
                text, re.S)]


def string_arrays(text):
    """{name: [strings]} of every `const char *const NAME[] = {...}`."""
    return {name: values for _, name, values in string_array_defs(text)}


def array_at(defs, name, offset):
    """The strings of the array `name` in scope at offset: the last one
    defined before it (several functions each have their own `keys`)."""
    found = None
    for at, n, values in defs:
        if n == name and at < offset:
            found = values
    return found


def config_key_tables(root=None):
    """[(file, label, keys)]: each list of keys the config loader accepts,
    i.e. each string array passed to a function whose name has `keys` in
    it (ag_cfg_check_keys...), with the label the loader gives it."""
    root = root or os.path.join(SOURCE_DIR, "core", "src")
    texts = {p: strip_comments(read(p)) for p in c_files(root)}
    shared = {}  # tables a header would give to several files
    for p, t in texts.items():
        if p.endswith(".h"):
            shared.update(string_arrays(t))
    tables = []
    for path, text in texts.items():
        defs = string_array_defs(text)
        for m in re.finditer(r"\b(\w*keys\w*)\s*\(", text):
            args = call_args(text, m.end() - 1)
            for name in (a for a in args if re.fullmatch(r"[A-Za-z_]\w*", a)):
                keys = array_at(defs, name, m.start())
                if keys is None:
                    keys = shared.get(name)
                if keys is None:
                    continue
                label = next((literal(a) for a in args if literal(a) is not None), name)
                tables.append((os.path.relpath(path, SOURCE_DIR), label,
                               [k for k in keys if KEY.match(k)]))
    return tables


def config_keys(root=None):
    """Every key the config loader accepts."""
    return {k for _, _, keys in config_key_tables(root) for k in keys}


def _functions(text):
    """{name: (params, body)} of the function definitions in C text."""
    out = {}
    for m in re.finditer(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(([^;{}()]*)\)\s*\{", text, re.M):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out[m.group(1)] = (m.group(2), text[m.end():i])
    return out


def _calls(body, names):
    """(name, args) of each call in body of a function in names; a member
    call (a->f(), a.f()) counts only for config_get, the host's own."""
    for m in re.finditer(r"(->|\.)?\b(\w+)\s*\(", body):
        member, name = m.group(1), m.group(2)
        if name in names and (not member or name == "config_get"):
            yield name, call_args(body, m.end() - 1)


def _member_entry_vars(text):
    """Variables that hold a node of a member's entry in members.yaml (the
    host's member_config, or a config_get under it): keys read from them
    are members.yaml's, not the plugin's settings."""
    found, changed = set(), True
    while changed:
        changed = False
        for var, rhs in re.findall(r"(\w+)\s*=\s*([^;]*);", text):
            under = [r"\bmember_config\s*\("]
            under += [r"\bconfig_get\s*\(\s*" + re.escape(v) + r"\b" for v in found]
            if var not in found and any(re.search(u, rhs) for u in under):
                found.add(var)
                changed = True
    return found


def _reads_member_entry(args, entry_vars):
    return bool(args) and (re.search(r"\bmember_config\s*\(", args[0]) is not None
                           or args[0] in entry_vars)


def plugin_settings(root=None):
    """{plugin name: set of keys} for each plugin under plugins/ (the name
    of its AGENDAD_PLUGIN_DECLARE). A config_get on a member's entry
    (member_config) reads members.yaml, and does not count."""
    root = root or os.path.join(SOURCE_DIR, "plugins")
    sources = {p: strip_comments(read(p)) for p in c_files(root)}
    # Readers: the host's config_get, and every function that hands one of
    # its own string parameters to a reader (po_opt, opt, setting...).
    functions = {}
    for text in sources.values():
        functions.update(_functions(text))
    readers = {"config_get"}
    changed = True
    while changed:
        changed = False
        for name, (params, body) in functions.items():
            if name in readers:
                continue
            own = set(re.findall(r"const\s+char\s*\*\s*(\w+)", params))
            if own and any(own & set(args) for _, args in _calls(body, readers)):
                readers.add(name)
                changed = True
    plugins = {}
    for dirpath, _, _ in os.walk(root):
        files = [p for p in sources if os.path.dirname(p) == dirpath]
        declared = [m.group(1) for p in files
                    for m in re.finditer(r'AGENDAD_PLUGIN_DECLARE\s*\(\s*"([^"]+)"', sources[p])]
        if not declared:
            continue
        keys = set()
        for p in (q for q in sources if q.startswith(dirpath + os.sep)):
            text = sources[p]
            entry_vars = _member_entry_vars(text)
            for name, args in _calls(text, readers):
                if name == "config_get" and _reads_member_entry(args, entry_vars):
                    continue
                keys.update(v for v in map(literal, args) if v is not None and KEY.match(v))
            # for (...) { const char *key = h->config_key(section, i); if (strcmp(key, "x") ...
            for var in re.findall(r"(\w+)\s*=\s*[\w\->\.]*config_key\s*\(", text):
                keys.update(re.findall(r"strcmp\s*\(\s*" + var + r'\s*,\s*"([a-z][a-z0-9_]*)"\s*\)',
                                       text))
            for name, values in string_arrays(text).items():
                if re.search(r"\b\w*keys\w*\s*\([^;]*\b" + name + r"\b", text):
                    keys.update(v for v in values if KEY.match(v))
        plugins[declared[0]] = keys
    return plugins


def cli_options(root=None):
    """(long options, short options) of the command line's getopt table."""
    root = root or os.path.join(SOURCE_DIR, "core", "src")
    longs, shorts = set(), set()
    for path in c_files(root):
        text = strip_comments(read(path))
        if "getopt_long" not in text:
            continue
        longs.update(re.findall(r'\{\s*"([a-z][a-z-]*)"\s*,\s*(?:required|no|optional)_argument',
                                text))
        for m in re.finditer(r"\bgetopt_long\s*\(", text):
            args = call_args(text, m.end() - 1)
            if len(args) > 2 and literal(args[2]) is not None:
                shorts.update(re.findall(r"[A-Za-z]", literal(args[2])))
    return longs, shorts


# ----------------------------------------------------------------- Markdown

def without_code_blocks(md):
    """Markdown with fenced code blocks blanked (lines kept)."""
    out, fence = [], None
    for line in md.split("\n"):
        m = re.match(r"\s*(```+|~~~+)", line)
        if fence:
            out.append("")
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
        elif m:
            fence = m.group(1)
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def headings(md):
    """[(level, text)] outside code blocks."""
    return [(len(m.group(1)), m.group(2).strip())
            for m in re.finditer(r"^(#{1,6})\s+(.*?)\s*#*\s*$", without_code_blocks(md), re.M)]


def slug(text):
    """GitHub's anchor for a heading."""
    t = re.sub(r"[`*]", "", text).strip().lower()
    t = re.sub(r"[^\w\- ]", "", t)
    return t.replace(" ", "-")


def anchors(md):
    seen, out = {}, set()
    for _, text in headings(md):
        s = slug(text)
        n = seen.get(s, 0)
        out.add(s if n == 0 else f"{s}-{n}")
        seen[s] = n + 1
    return out


def links(md):
    """[(line number, target)] of the inline links outside code."""
    text = without_code_blocks(md)
    out = []
    for no, line in enumerate(text.split("\n"), 1):
        line = re.sub(r"(`+)(.+?)\1", "code", line)
        for m in re.finditer(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", line):
            out.append((no, m.group(1)))
    return out


def section(md, title, level=2):
    """The text of the heading `title` at `level`, up to the next heading of
    that level or above."""
    lines, inside = [], False
    code = without_code_blocks(md).split("\n")
    for raw, plain in zip(md.split("\n"), code):
        m = re.match(r"(#{1,6})\s+(.*?)\s*$", plain)
        if m and len(m.group(1)) <= level:
            if inside:
                break
            inside = len(m.group(1)) == level and m.group(2) == title
            continue
        if inside:
            lines.append(raw)
    return "\n".join(lines)


def table_cells(row):
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def tables(md):
    """[(line number, [first cells of the body rows])] of every table."""
    out, cur, start = [], None, 0
    for no, line in enumerate(without_code_blocks(md).split("\n"), 1):
        if line.lstrip().startswith("|"):
            if cur is None:
                cur, start = [], no
            cur.append(line)
            continue
        if cur is not None:
            out.append((start, cur))
            cur = None
    if cur is not None:
        out.append((start, cur))
    result = []
    for start, rows in out:
        body = [r for r in rows[1:] if not re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", r)]
        result.append((start, [table_cells(r)[0] for r in body]))
    return result


def documented_keys(first_cells):
    """The keys a reference table documents: each component of the dotted
    names written as code in its first column (`feeds.window_from` documents
    feeds and window_from)."""
    keys = set()
    for cell in first_cells:
        for span in re.findall(r"`([^`]+)`", cell):
            name = span.strip().split()[0].rstrip(":") if span.strip() else ""
            keys.update(p for p in name.split(".") if KEY.match(p))
    return keys


def reference_tables(md):
    """[(line number, documented keys)] of every table in md."""
    return [(no, documented_keys(cells)) for no, cells in tables(md)]


# --------------------------------------------------------------------- roff

def roff_plain(roff):
    text = roff.replace("\\-", "-").replace("\\(em", "—")
    return re.sub(r"\\f[BIRP]|\\f\(..|\\&", "", text)


def roff_section(roff, name):
    m = re.search(r"^\.SH\s+\"?" + re.escape(name) + r"\"?\s*$(.*?)(?=^\.SH\s|\Z)", roff,
                  re.M | re.S)
    return m.group(1) if m else ""


def roff_tags(section_text):
    """The tag line after each .TP, without its macro."""
    lines = section_text.split("\n")
    return [re.sub(r"^\.(?:B|I|BR|IR|RB|RI)\s+", "", lines[i + 1]).strip()
            for i, line in enumerate(lines[:-1]) if line.strip() == ".TP"]
