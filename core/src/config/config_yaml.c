/* libyaml's event stream → ag_config_node tree, with a location on every node
 * and key. Anchors and aliases are refused outright: the schema never needs
 * them, and refusing them is the simplest defence against alias bombs. */
#include "arena.h"
#include "config_internal.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define MAX_MAP_KEYS 10000

/* A collection's entry while it is being read (key and key_loc: maps only). */
typedef struct {
    char *key;
    ag_loc key_loc;
    ag_config_node *item;
} entry;

typedef struct {
    yaml_parser_t parser;
    const char *path; /* the caller's, for diagnostics */
    char *file;       /* the arena's copy, shared by every location in the tree */
    ag_arena *arena;
    entry *stack; /* the entries of every collection still open, innermost last */
    size_t top, cap;
    const unsigned char *buf;
    size_t len;
    ag_diags *d;
} reader;

static ag_loc mark_loc(const reader *r, yaml_mark_t m)
{
    return (ag_loc){r->file ? r->file : (char *)r->path, (int)m.line + 1, (int)m.column + 1};
}

/* Reader errors carry a byte offset, not a mark; columns count characters
 * like libyaml's marks do. */
static ag_loc offset_loc(const reader *r, size_t off)
{
    ag_loc l = {(char *)r->path, 1, 1};
    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->buf[i] == '\n') {
            l.line++;
            l.col = 1;
        } else if ((r->buf[i] & 0xC0) != 0x80) {
            l.col++;
        }
    }
    return l;
}

/* The byte at a mark, to explain libyaml's generic complaints. */
static int byte_at(const reader *r, yaml_mark_t m)
{
    size_t i = 0;
    for (size_t line = 0; line < m.line && i < r->len; i++)
        if (r->buf[i] == '\n')
            line++;
    for (size_t col = 0; i < r->len; i++) {
        if ((r->buf[i] & 0xC0) != 0x80 && col++ == m.column)
            return r->buf[i];
    }
    return -1;
}

static void report_reader_error(reader *r)
{
    ag_loc l = offset_loc(r, r->parser.problem_offset);
    const char *p = r->parser.problem ? r->parser.problem : _("unreadable input");
    if (strstr(p, "UTF-8") || strstr(p, "Unicode"))
        ag_config_err(r->d, &l, "this file is not valid UTF-8 text (%s): save it as UTF-8", p);
    else
        ag_config_err(r->d, &l, "this file cannot be read as text (%s)", p);
}

static void report_syntax_error(reader *r)
{
    ag_loc l = mark_loc(r, r->parser.problem_mark);
    const char *p = r->parser.problem ? r->parser.problem : _("invalid YAML");
    const char *hint = "";
    /* TRANSLATORS: appended to the YAML parser's own words (in English). */
    if (byte_at(r, r->parser.problem_mark) == '\t')
        hint = _(" (a tab: YAML is indented with spaces, never tabs)");
    if (r->parser.context)
        ag_config_err(r->d, &l, "YAML syntax error: %s%s, %s that starts at line %d", p, hint,
                      r->parser.context, (int)r->parser.context_mark.line + 1);
    else
        ag_config_err(r->d, &l, "YAML syntax error: %s%s", p, hint);
}

static bool next_event(reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return true;
    if (r->parser.error == YAML_READER_ERROR)
        report_reader_error(r);
    else if (r->parser.error == YAML_MEMORY_ERROR)
        ag_config_err(r->d, &(ag_loc){(char *)r->path, 0, 0}, "out of memory reading this file");
    else
        report_syntax_error(r);
    return false;
}

static ag_config_node *node_new(reader *r, ag_cfg_kind kind, yaml_mark_t m)
{
    ag_config_node *n = ag_arena_alloc(r->arena, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->loc = mark_loc(r, m);
    return n;
}

static bool refuse_anchor(reader *r, const yaml_event_t *ev, const yaml_char_t *anchor)
{
    if (!anchor)
        return false;
    ag_loc l = mark_loc(r, ev->start_mark);
    ag_config_err(r->d, &l, "anchors (&%s) are not allowed here: write the value out in full",
                  (const char *)anchor);
    return true;
}

static void check_scalar_text(reader *r, const ag_config_node *n, size_t len)
{
    if (memchr(n->scalar, '\0', len))
        ag_config_err(r->d, &n->loc,
                      "this value contains a NUL character (\\0), which is not text");
    else if (!ag_utf8_valid(n->scalar, len))
        ag_config_err(r->d, &n->loc, "this value is not valid UTF-8 text");
}

static ag_config_node *read_scalar(reader *r, const yaml_event_t *ev)
{
    if (refuse_anchor(r, ev, ev->data.scalar.anchor))
        return NULL;
    ag_config_node *n = node_new(r, AG_CFG_SCALAR, ev->start_mark);
    if (!n)
        return NULL;
    size_t len = ev->data.scalar.length;
    n->scalar = ag_arena_strndup(r->arena, (const char *)ev->data.scalar.value, len);
    if (!n->scalar)
        return NULL;
    check_scalar_text(r, n, len);
    return n;
}

static ag_config_node *read_node(reader *r, yaml_event_t *ev, int depth);

static bool push(reader *r, char *key, ag_loc key_loc, ag_config_node *item)
{
    if (r->top == r->cap) {
        size_t c = r->cap ? r->cap * 2 : 256;
        entry *s = realloc(r->stack, c * sizeof *s);
        if (!s)
            return false;
        r->stack = s;
        r->cap = c;
    }
    r->stack[r->top++] = (entry){key, key_loc, item};
    return true;
}

/* Moves the entries a collection pushed from base up into exact-size arrays
 * of its node: the stack is shared by nesting levels, so sizes are known
 * only once a collection ends. */
static bool pop_into(reader *r, ag_config_node *n, size_t base)
{
    n->n = r->top - base;
    if (n->n == 0)
        return true;
    n->items = ag_arena_alloc(r->arena, n->n * sizeof *n->items);
    if (n->kind == AG_CFG_MAP) {
        n->keys = ag_arena_alloc(r->arena, n->n * sizeof *n->keys);
        n->key_locs = ag_arena_alloc(r->arena, n->n * sizeof *n->key_locs);
    }
    if (!n->items || (n->kind == AG_CFG_MAP && (!n->keys || !n->key_locs)))
        return false;
    for (size_t i = 0; i < n->n; i++) {
        const entry *e = &r->stack[base + i];
        n->items[i] = e->item;
        if (n->kind == AG_CFG_MAP) {
            n->keys[i] = e->key;
            n->key_locs[i] = e->key_loc;
        }
    }
    r->top = base;
    return true;
}

/* Reads the next node of a collection into ev; false at its end or on error
 * (*failed tells which). */
static bool next_item(reader *r, yaml_event_t *ev, yaml_event_type_t end, bool *failed)
{
    if (!next_event(r, ev)) {
        *failed = true;
        return false;
    }
    if (ev->type != end)
        return true;
    yaml_event_delete(ev);
    return false;
}

static bool read_seq(reader *r, ag_config_node *seq, int depth)
{
    size_t base = r->top;
    yaml_event_t ev;
    bool failed = false;
    while (next_item(r, &ev, YAML_SEQUENCE_END_EVENT, &failed)) {
        ag_config_node *item = read_node(r, &ev, depth + 1);
        if (!item || !push(r, NULL, (ag_loc){0}, item))
            return false;
    }
    return !failed && pop_into(r, seq, base);
}

static const char *key_text(reader *r, const yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT && !ev->data.scalar.anchor)
        return (const char *)ev->data.scalar.value;
    ag_loc l = mark_loc(r, ev->start_mark);
    if (ev->type == YAML_ALIAS_EVENT || ev->type == YAML_SCALAR_EVENT)
        ag_config_err(r->d, &l, "anchors and aliases (&, *) are not allowed here");
    else
        ag_config_err(r->d, &l, "a key must be a plain word, not a list or a mapping");
    return NULL;
}

/* Reports a repeated key; its value is read and dropped so that the rest of
 * the file is still checked. The map's entries so far are the stack's from
 * base up. */
static bool is_duplicate(reader *r, size_t base, const char *key, yaml_mark_t m)
{
    for (size_t i = base; i < r->top; i++) {
        if (strcmp(r->stack[i].key, key) != 0)
            continue;
        ag_loc l = mark_loc(r, m);
        ag_config_err(r->d, &l, "the key \"%s\" is given twice (first at line %d, column %d)", key,
                      r->stack[i].key_loc.line, r->stack[i].key_loc.col);
        return true;
    }
    return false;
}

static bool too_many_keys(reader *r, const ag_config_node *map, size_t base)
{
    if (r->top - base < MAX_MAP_KEYS)
        return false;
    ag_config_err(r->d, &map->loc, "this mapping has more than %d keys", MAX_MAP_KEYS);
    return true;
}

static bool read_entry(reader *r, ag_config_node *map, size_t base, yaml_event_t *kev, int depth)
{
    const char *key = key_text(r, kev);
    yaml_event_t vev;
    if (!key || too_many_keys(r, map, base) || !next_event(r, &vev))
        return false;
    bool dup = is_duplicate(r, base, key, kev->start_mark);
    ag_config_node *value = read_node(r, &vev, depth + 1);
    if (!value)
        return false;
    if (dup)
        return true;
    char *k = ag_arena_strndup(r->arena, key, kev->data.scalar.length);
    return k && push(r, k, mark_loc(r, kev->start_mark), value);
}

static bool read_map(reader *r, ag_config_node *map, int depth)
{
    size_t base = r->top;
    yaml_event_t kev;
    bool failed = false;
    while (next_item(r, &kev, YAML_MAPPING_END_EVENT, &failed)) {
        bool ok = read_entry(r, map, base, &kev, depth);
        yaml_event_delete(&kev);
        if (!ok)
            return false;
    }
    return !failed && pop_into(r, map, base);
}

static ag_config_node *read_collection(reader *r, const yaml_event_t *ev, int depth)
{
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (refuse_anchor(r, ev, anchor))
        return NULL;
    if (depth > AG_CFG_MAX_DEPTH) {
        ag_loc l = mark_loc(r, ev->start_mark);
        ag_config_err(r->d, &l, "lists and mappings are nested more than %d levels deep",
                      AG_CFG_MAX_DEPTH);
        return NULL;
    }
    ag_config_node *n = node_new(r, is_map ? AG_CFG_MAP : AG_CFG_SEQ, ev->start_mark);
    if (n && !(is_map ? read_map(r, n, depth) : read_seq(r, n, depth)))
        return NULL;
    return n;
}

/* Consumes ev. */
static ag_config_node *read_node(reader *r, yaml_event_t *ev, int depth)
{
    ag_config_node *n = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        n = read_scalar(r, ev);
    } else if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT) {
        n = read_collection(r, ev, depth);
    } else {
        ag_loc l = mark_loc(r, ev->start_mark);
        ag_config_err(r->d, &l, "aliases (*%s) are not allowed: write the value out in full",
                      ev->type == YAML_ALIAS_EVENT ? (const char *)ev->data.alias.anchor : "");
    }
    yaml_event_delete(ev);
    return n;
}

static bool expect(reader *r, yaml_event_type_t type)
{
    yaml_event_t ev;
    if (!next_event(r, &ev))
        return false;
    bool ok = ev.type == type;
    if (!ok && ev.type == YAML_DOCUMENT_START_EVENT) {
        ag_loc l = mark_loc(r, ev.start_mark);
        ag_config_err(r->d, &l, "a file holds one YAML document: remove this second one");
    }
    yaml_event_delete(&ev);
    return ok;
}

/* stream-start, document-start, root, document-end, stream-end. An empty
 * stream is an empty scalar. */
static ag_config_node *read_stream(reader *r)
{
    yaml_event_t ev;
    if (!expect(r, YAML_STREAM_START_EVENT) || !next_event(r, &ev))
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        ag_config_node *n = node_new(r, AG_CFG_SCALAR, ev.start_mark);
        yaml_event_delete(&ev);
        if (n && !(n->scalar = ag_arena_strndup(r->arena, "", 0)))
            return NULL;
        return n;
    }
    yaml_event_delete(&ev);
    if (!next_event(r, &ev))
        return NULL;
    ag_config_node *root = read_node(r, &ev, 0);
    if (root && (!expect(r, YAML_DOCUMENT_END_EVENT) || !expect(r, YAML_STREAM_END_EVENT)))
        return NULL;
    return root;
}

/* Reads up to AG_CFG_MAX_FILE_BYTES + 1 bytes (one more tells "too large")
 * into a buffer sized by the file rather than by the limit: a 4 MiB buffer
 * per file cost a heap consolidation each. */
static unsigned char *read_all(FILE *f, size_t *len)
{
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && st.st_size >= 0 ? (size_t)st.st_size + 1 : 4096;
    unsigned char *buf = NULL;
    *len = 0;
    for (;;) {
        cap = cap > AG_CFG_MAX_FILE_BYTES + 1 ? AG_CFG_MAX_FILE_BYTES + 1 : cap;
        unsigned char *b = realloc(buf, cap);
        if (!b) {
            free(buf);
            return NULL;
        }
        buf = b;
        *len += fread(buf + *len, 1, cap - *len, f);
        if (*len < cap || cap == AG_CFG_MAX_FILE_BYTES + 1 || ferror(f))
            return buf;
        cap *= 2; /* the file grew since fstat */
    }
}

static unsigned char *slurp(const char *path, size_t *len, ag_diags *d)
{
    ag_loc l = {(char *)path, 0, 0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        ag_config_err(d, &l, "cannot open this file: %s", strerror(errno));
        return NULL;
    }
    unsigned char *buf = read_all(f, len);
    bool bad = !buf || ferror(f) || *len > AG_CFG_MAX_FILE_BYTES;
    if (!buf)
        ag_config_err(d, &l, "out of memory reading this file");
    else if (ferror(f))
        ag_config_err(d, &l, "cannot read this file");
    else if (bad)
        ag_config_err(d, &l, "this file is larger than 4 MiB");
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

bool ag_config_hash_file(ag_config_hash *h, const char *path, const char *name)
{
    ag_diags scratch = {0};
    size_t len;
    unsigned char *buf = slurp(path, &len, &scratch);
    ag_diags_free(&scratch);
    if (!buf)
        return false;
    ag_config_hash_add(h, name, buf, len);
    free(buf);
    return true;
}

ag_config_node *ag_config_read_file(const char *path, ag_diags *d)
{
    return ag_config_read_file_hashed(path, d, NULL, NULL);
}

ag_config_node *ag_config_read_file_hashed(const char *path, ag_diags *d, ag_config_hash *h,
                                           const char *name)
{
    reader r = {.path = path, .d = d};
    size_t before = ag_diags_count(d);
    unsigned char *buf = slurp(path, &r.len, d);
    if (!buf)
        return NULL;
    if (h)
        ag_config_hash_add(h, name, buf, r.len);
    r.arena = ag_arena_new();
    r.file = r.arena ? ag_arena_strndup(r.arena, path, strlen(path)) : NULL;
    if (!r.file) {
        ag_config_err(d, &(ag_loc){(char *)path, 0, 0}, "out of memory reading this file");
        ag_arena_free(r.arena);
        free(buf);
        return NULL;
    }
    r.buf = buf;
    yaml_parser_initialize(&r.parser);
    yaml_parser_set_input_string(&r.parser, buf, r.len);
    ag_config_node *root = read_stream(&r);
    /* Every refusal above is reported where it is found, except running out
     * of memory for a node: a file must never just read as nothing. */
    if (!root && ag_diags_count(d) == before)
        ag_config_err(d, &(ag_loc){(char *)path, 0, 0}, "out of memory reading this file");
    yaml_parser_delete(&r.parser);
    free(r.stack);
    free(buf);
    if (root)
        root->arena = r.arena;
    else
        ag_arena_free(r.arena);
    return root;
}
