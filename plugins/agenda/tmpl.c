#include "tmpl.h"

#include "plugin_i18n.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INCLUDE_DEPTH 8
#define MAX_NESTING 32

/* ------------------------------------------------------------- values */

typedef enum { V_STR, V_BOOL, V_LIST } vkind;

typedef struct {
    char *name;
    vkind kind;
    char *str;
    bool b;
    tv **items;
    size_t n;
} entry;

struct tv {
    tv *root; /* carries the failure flag for the whole tree */
    bool failed;
    entry *e;
    size_t n;
};

tv *tv_new(void)
{
    tv *t = calloc(1, sizeof *t);
    if (t)
        t->root = t;
    return t;
}

static void entry_free(entry *e)
{
    free(e->name);
    free(e->str);
    for (size_t i = 0; i < e->n; i++)
        tv_free(e->items[i]);
    free(e->items);
}

void tv_free(tv *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        entry_free(&t->e[i]);
    free(t->e);
    free(t);
}

bool tv_failed(const tv *m)
{
    return !m || m->root->failed;
}

void tv_fail(tv *m)
{
    m->root->failed = true;
}

static entry *find(const tv *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->e[i].name, name) == 0)
            return &m->e[i];
    return NULL;
}

/* The entry called name, reset to kind (created when absent). */
static entry *slot(tv *m, const char *name, vkind kind)
{
    if (m->root->failed)
        return NULL;
    entry *e = find(m, name);
    if (e && e->kind == kind)
        return e;
    if (e) {
        entry_free(e);
    } else {
        entry *grown = realloc(m->e, (m->n + 1) * sizeof *grown);
        if (!grown) {
            m->root->failed = true;
            return NULL;
        }
        m->e = grown;
        e = &m->e[m->n++];
    }
    *e = (entry){.name = strdup(name), .kind = kind};
    if (!e->name) {
        m->n--;
        m->root->failed = true;
        return NULL;
    }
    return e;
}

void tv_str(tv *m, const char *name, const char *text)
{
    if (!text)
        return;
    entry *e = slot(m, name, V_STR);
    if (!e)
        return;
    free(e->str);
    if (!(e->str = strdup(text)))
        m->root->failed = true;
}

void tv_strf(tv *m, const char *name, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        m->root->failed = true;
        return;
    }
    tv_str(m, name, text);
    free(text);
}

void tv_bool(tv *m, const char *name, bool value)
{
    entry *e = slot(m, name, V_BOOL);
    if (e)
        e->b = value;
}

tv *tv_add(tv *m, const char *name)
{
    entry *e = slot(m, name, V_LIST);
    if (!e)
        return m->root;
    tv **grown = realloc(e->items, (e->n + 1) * sizeof *grown);
    tv *item = calloc(1, sizeof *item);
    if (grown)
        e->items = grown;
    if (!grown || !item) {
        free(item);
        m->root->failed = true;
        return m->root;
    }
    item->root = m->root;
    e->items[e->n++] = item;
    return item;
}

/* ------------------------------------------------------------- escaping */

static void put_html(FILE *out, unsigned char c)
{
    switch (c) {
    case '&':
        fputs("&amp;", out);
        break;
    case '<':
        fputs("&lt;", out);
        break;
    case '>':
        fputs("&gt;", out);
        break;
    case '"':
        fputs("&quot;", out);
        break;
    case '\'':
        fputs("&#39;", out);
        break;
    default:
        fputc(c, out);
    }
}

/* Characters that Markdown (CommonMark) could read as syntax anywhere in a
 * line: emphasis, code, links, raw HTML, tables, headings, entities. */
static void put_markdown(FILE *out, unsigned char c)
{
    if (strchr("\\`*_{}[]()<>#|~!&", c))
        fputc('\\', out);
    fputc(c, out);
}

void tmpl_escape(FILE *out, tmpl_format format, const char *s, bool block)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '\r') {
            /* CRLF is one break; a lone CR is one too. */
            if (p[1] != '\n')
                fputc(block ? '\n' : ' ', out);
            continue;
        }
        if (c == '\n') {
            fputc(block ? '\n' : ' ', out);
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            continue;
        if (format == TMPL_HTML)
            put_html(out, c);
        else if (format == TMPL_MARKDOWN)
            put_markdown(out, c);
        else
            fputc(c, out);
    }
}

/* ------------------------------------------------------------- parsing */

typedef enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED } nkind;

typedef struct node node;
struct node {
    nkind kind;
    char *text; /* N_TEXT: the text; others: the name */
    size_t len;
    bool block;
    node *kids;
    size_t n_kids;
};

struct tmpl {
    tmpl_format format;
    node root;
};

typedef struct {
    const char *name; /* of the file being parsed, for messages */
    const char *src;
    const char *s; /* current position */
    tmpl_format format;
    tmpl_loader load;
    void *data;
    int depth; /* include depth */
    char *err;
    size_t err_size;
    bool failed;
} parser;

static void node_free(node *n)
{
    for (size_t i = 0; i < n->n_kids; i++)
        node_free(&n->kids[i]);
    free(n->kids);
    free(n->text);
}

static int line_of(const parser *p, const char *at)
{
    int line = 1;
    for (const char *c = p->src; c < at; c++)
        line += *c == '\n';
    return line;
}

/* "NAME:LINE: " and fmt in the admin's language: a template's errors are
 * the admin's config errors (agendad check, a reload's log). */
__attribute__((format(printf, 3, 4))) static void fail(parser *p, const char *at, const char *fmt,
                                                       ...)
{
    if (p->failed)
        return;
    p->failed = true;
    int n = snprintf(p->err, p->err_size, "%s:%d: ", p->name, line_of(p, at));
    if (n < 0 || (size_t)n >= p->err_size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->err_size - (size_t)n, P_(fmt), ap);
    va_end(ap);
}

static node *add_kid(parser *p, node *parent, nkind kind, const char *text, size_t len)
{
    node *grown = realloc(parent->kids, (parent->n_kids + 1) * sizeof *grown);
    char *copy = malloc(len + 1);
    if (grown)
        parent->kids = grown;
    if (!grown || !copy) {
        free(copy);
        fail(p, p->s, PN_("out of memory"));
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    node *n = &parent->kids[parent->n_kids++];
    *n = (node){.kind = kind, .text = copy, .len = len};
    return n;
}

static bool blank(const char *from, const char *to)
{
    for (const char *c = from; c < to; c++)
        if (*c != ' ' && *c != '\t' && *c != '\r')
            return false;
    return true;
}

/* For a tag alone on its line, where the text before it should end and
 * where parsing resumes (past the line break); false otherwise. */
static bool standalone(const parser *p, const char *text_start, const char *open, const char *close,
                       const char **text_end, const char **resume)
{
    const char *ls = open;
    while (ls > p->src && ls[-1] != '\n')
        ls--;
    if (ls < text_start || !blank(ls, open))
        return false;
    const char *nl = strchr(close, '\n');
    const char *eol = nl ? nl : close + strlen(close);
    if (!blank(close, eol))
        return false;
    *text_end = ls;
    *resume = nl ? nl + 1 : eol;
    return true;
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') ||
              ('0' <= s[i] && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

static void parse_nodes(parser *p, node *parent, const char *closing, const char *opened_at,
                        int nesting);

static void include(parser *p, node *parent, const char *name, const char *at, int nesting)
{
    if (p->depth >= MAX_INCLUDE_DEPTH) {
        fail(p, at, PN_("includes nested deeper than %d (a loop?)"), MAX_INCLUDE_DEPTH);
        return;
    }
    char *text = p->load(name, p->data);
    if (!text) {
        fail(p, at, PN_("cannot include \"%s\": no such template"), name);
        return;
    }
    parser sub = *p;
    sub.name = name;
    sub.src = sub.s = text;
    sub.depth = p->depth + 1;
    parse_nodes(&sub, parent, NULL, NULL, nesting);
    p->failed = sub.failed;
    free(text);
}

/* One tag whose inside is [in, in_end); returns false when the enclosing
 * section closes here. */
static bool tag(parser *p, node *parent, const char *in, const char *in_end, const char *closing,
                int nesting)
{
    char sigil = strchr("#^/>!", *in) ? *in : '\0';
    const char *name = sigil ? in + 1 : in;
    while (name < in_end && *name == ' ')
        name++;
    const char *end = in_end;
    while (end > name && end[-1] == ' ')
        end--;
    size_t len = (size_t)(end - name);
    if (sigil == '!')
        return true;
    bool block = false;
    if (!sigil && len > 6 && strncmp(end - 6, "|block", 6) == 0) {
        block = true;
        len -= 6;
    }
    if (sigil == '>' ? len == 0 || memchr(name, '/', len) != NULL : !valid_name(name, len)) {
        fail(p, in, PN_("bad tag \"{{%.*s}}\""), (int)(in_end - in), in);
        return true;
    }
    char nm[128];
    if (len >= sizeof nm) {
        fail(p, in, PN_("name too long"));
        return true;
    }
    memcpy(nm, name, len);
    nm[len] = '\0';
    if (sigil == '/') {
        if (closing && strcmp(closing, nm) != 0)
            fail(p, in, PN_("{{/%s}} closes nothing open; open is %s"), nm, closing);
        else if (!closing)
            fail(p, in, PN_("{{/%s}} closes nothing open"), nm);
        return false;
    }
    if (sigil == '>') {
        include(p, parent, nm, in, nesting);
        return true;
    }
    node *n = add_kid(p, parent,
                      sigil == '#'   ? N_SECTION
                      : sigil == '^' ? N_INVERTED
                                     : N_VAR,
                      nm, len);
    if (!n)
        return true;
    n->block = block;
    if (sigil) {
        if (nesting >= MAX_NESTING)
            fail(p, in, PN_("sections nested deeper than %d"), MAX_NESTING);
        else
            parse_nodes(p, n, n->text, in - 2, nesting + 1);
    }
    return true;
}

/* Nodes up to the end, or up to {{/closing}} when closing is set (its
 * section opened at opened_at, for the message when it never closes). */
static void parse_nodes(parser *p, node *parent, const char *closing, const char *opened_at,
                        int nesting)
{
    const char *text_start = p->s;
    while (!p->failed) {
        const char *open = strstr(p->s, "{{");
        if (!open) {
            size_t rest = strlen(text_start);
            if (rest)
                add_kid(p, parent, N_TEXT, text_start, rest);
            if (closing)
                fail(p, opened_at, PN_("{{#%s}} is never closed"), closing);
            p->s += strlen(p->s);
            return;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            fail(p, open, PN_("tag never closed with }}"));
            return;
        }
        const char *text_end = open, *resume = close + 2;
        if (strchr("#^/>!", open[2]))
            standalone(p, text_start, open, close + 2, &text_end, &resume);
        if (text_end > text_start)
            add_kid(p, parent, N_TEXT, text_start, (size_t)(text_end - text_start));
        p->s = resume;
        bool more = tag(p, parent, open + 2, close, closing, nesting);
        text_start = p->s;
        if (!more)
            return;
    }
}

tmpl *tmpl_parse(const char *name, const char *text, tmpl_format format, tmpl_loader load,
                 void *data, char *err, size_t err_size)
{
    tmpl *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_size, P_("%s: out of memory"), name);
        return NULL;
    }
    t->format = format;
    parser p = {.name = name,
                .src = text,
                .s = text,
                .format = format,
                .load = load,
                .data = data,
                .err = err,
                .err_size = err_size};
    parse_nodes(&p, &t->root, NULL, NULL, 0);
    if (p.failed) {
        tmpl_free(t);
        return NULL;
    }
    return t;
}

tmpl *tmpl_load(const char *name, tmpl_format format, tmpl_loader load, void *data, char *err,
                size_t err_size)
{
    char *text = load(name, data);
    if (!text) {
        snprintf(err, err_size, P_("%s: no such template"), name);
        return NULL;
    }
    tmpl *t = tmpl_parse(name, text, format, load, data, err, err_size);
    free(text);
    return t;
}

void tmpl_free(tmpl *t)
{
    if (!t)
        return;
    node_free(&t->root);
    free(t);
}

/* ------------------------------------------------------------ rendering */

typedef struct {
    const tv *frames[MAX_NESTING + 2];
    int n;
    tmpl_format format;
    FILE *out;
} scope;

static const entry *lookup(const scope *sc, const char *name)
{
    for (int i = sc->n - 1; i >= 0; i--) {
        const entry *e = find(sc->frames[i], name);
        if (e)
            return e;
    }
    return NULL;
}

static bool truthy(const entry *e)
{
    if (!e)
        return false;
    switch (e->kind) {
    case V_STR:
        return e->str[0] != '\0';
    case V_BOOL:
        return e->b;
    case V_LIST:
        return e->n > 0;
    }
    return false;
}

static void render_nodes(scope *sc, const node *parent);

static void render_section(scope *sc, const node *n)
{
    const entry *e = lookup(sc, n->text);
    if (n->kind == N_INVERTED) {
        if (!truthy(e))
            render_nodes(sc, n);
        return;
    }
    if (!truthy(e))
        return;
    if (e->kind != V_LIST) {
        render_nodes(sc, n);
        return;
    }
    for (size_t i = 0; i < e->n; i++) {
        sc->frames[sc->n++] = e->items[i];
        render_nodes(sc, n);
        sc->n--;
    }
}

static void render_nodes(scope *sc, const node *parent)
{
    for (size_t i = 0; i < parent->n_kids; i++) {
        const node *n = &parent->kids[i];
        if (n->kind == N_TEXT) {
            fwrite(n->text, 1, n->len, sc->out);
        } else if (n->kind == N_VAR) {
            const entry *e = lookup(sc, n->text);
            if (e && e->kind == V_STR)
                tmpl_escape(sc->out, sc->format, e->str, n->block);
        } else {
            render_section(sc, n);
        }
    }
}

int tmpl_render(const tmpl *t, const tv *values, FILE *out)
{
    if (!t || tv_failed(values))
        return -1;
    scope sc = {.frames = {values}, .n = 1, .format = t->format, .out = out};
    render_nodes(&sc, &t->root);
    return ferror(out) ? -1 : 0;
}
