"""Reads a gettext catalog (.po or .pot) into its entries: enough of the
format for the catalog and glossary tests (comments, flags, msgctxt,
msgid, msgid_plural, msgstr and msgstr[N]; obsolete "#~" entries are
skipped)."""

import ast


class Entry:
    def __init__(self):
        self.msgctxt = None
        self.msgid = None
        self.msgid_plural = None
        self.msgstr = []      # one text, or one per plural form
        self.flags = set()    # "fuzzy", "c-format"...
        self.comments = []    # "#." extracted comments, without the "#. "
        self.locations = []   # "#:" references

    @property
    def is_header(self):
        return self.msgid == "" and self.msgctxt is None

    @property
    def translated(self):
        return bool(self.msgstr) and all(self.msgstr)


def _string(text):
    # A PO string is a C string literal; Python's reading of one is the
    # same for the escapes msgfmt writes (\n \t \" \\).
    return ast.literal_eval(text)


def parse(path):
    entries = []
    cur = Entry()
    field = None

    def flush():
        nonlocal cur
        if cur.msgid is not None:
            entries.append(cur)
        cur = Entry()

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line.strip():
                flush()
                field = None
                continue
            if line.startswith("#~"):
                continue
            if line.startswith("#,"):
                cur.flags.update(x.strip() for x in line[2:].split(",") if x.strip())
                continue
            if line.startswith("#."):
                cur.comments.append(line[2:].strip())
                continue
            if line.startswith("#:"):
                cur.locations.extend(line[2:].split())
                continue
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                value = _string(line)
                if field == "msgctxt":
                    cur.msgctxt += value
                elif field == "msgid":
                    cur.msgid += value
                elif field == "msgid_plural":
                    cur.msgid_plural += value
                else:
                    cur.msgstr[field] += value
                continue
            key, _, rest = line.partition(" ")
            if cur.msgstr and key in ("msgctxt", "msgid"):
                flush()
            if key == "msgctxt":
                cur.msgctxt, field = _string(rest), "msgctxt"
            elif key == "msgid":
                cur.msgid, field = _string(rest), "msgid"
            elif key == "msgid_plural":
                cur.msgid_plural, field = _string(rest), "msgid_plural"
            elif key == "msgstr":
                cur.msgstr.append(_string(rest))
                field = len(cur.msgstr) - 1
            elif key.startswith("msgstr["):
                cur.msgstr.append(_string(rest))
                field = len(cur.msgstr) - 1
            else:
                raise ValueError(f"{path}: cannot read {line!r}")
    flush()
    return entries


def messages(path):
    """The entries other than the header."""
    return [e for e in parse(path) if not e.is_header]
