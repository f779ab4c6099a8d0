/* The plugin ABI's history, held twice so that neither can drift: here as
 * tables of (entry, minor), taken from git history (the commits that bumped
 * AGENDAD_PLUGIN_ABI_MINOR and the merges that settled each entry's
 * number), and in core/include/agendad/plugin.h as one trailing
 * "since 1.N" label per entry, field and type.
 *
 * Against the compiled layout, each table must list its struct's fields in
 * offset order, with no gap a forgotten field could hide in and nothing
 * after its last entry, and minors that never fall as offsets rise (a field
 * inserted before an older one moves it: that is a new major). Against the
 * header's text, every label must match the table and no version number may
 * appear anywhere else, every host function must be documented at its
 * agendad_host_NAME type with its ownership, and every size-prefixed struct
 * must say who fills its size.
 *
 * Adding to the ABI: bump AGENDAD_PLUGIN_ABI_MINOR, append the entry or
 * field with its label, and append it here with the same minor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <agendad/plugin.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the tables */

typedef struct {
    const char *name;
    int minor;
    size_t offset, size, align;
} abi_field;

/* clang-format off */
/* One entry per line. */
#define FIELD(type, field, minor)                                                                  \
    {#field, minor, offsetof(type, field), sizeof(((type *)0)->field),                             \
     _Alignof(__typeof__(((type *)0)->field))}

#define H(field, minor) FIELD(agendad_host, field, minor)
static const abi_field host_fields[] = {
    H(size, 0),
    H(abi_major, 0),
    H(abi_minor, 0),
    H(loop, 0),
    H(strerror, 0),
    H(log, 0),
    H(config, 0),
    H(config_get, 0),
    H(config_kind, 0),
    H(config_scalar, 0),
    H(config_len, 0),
    H(config_item, 0),
    H(config_key, 0),
    H(config_location, 0),
    H(event_foreach, 0),
    H(event_count, 0),
    H(event_find, 0),
    H(event_uid, 0),
    H(event_text, 0),
    H(event_when, 0),
    H(event_status, 0),
    H(event_visibility, 0),
    H(event_host_member, 0),
    H(event_category_count, 0),
    H(event_category, 0),
    H(event_slot_count, 0),
    H(event_slot, 0),
    H(event_slot_title, 0),
    H(member_find, 0),
    H(member_id, 0),
    H(member_name, 0),
    H(member_language, 0),
    H(member_kind, 0),
    H(member_region, 0),
    H(member_email_count, 0),
    H(member_email, 0),
    H(register_route, 0),
    H(register_channel, 0),
    H(register_source, 0),
    H(register_listener, 0),
    H(source_submit, 0),
    H(request_method, 0),
    H(request_path, 0),
    H(request_query_string, 0),
    H(request_query, 0),
    H(request_header, 0),
    H(respond, 0),
    H(respond_error, 0),
    /* 1.1: the network client */
    H(http_fetch, 1),
    H(smtp_send, 1),
    H(xfer_cancel, 1),
    /* 1.2: the agenda plugin's needs */
    H(store_generation, 2),
    H(setting, 2),
    H(network_text, 2),
    H(category_count, 2),
    H(category_id, 2),
    H(category_name, 2),
    H(category_is_axis, 2),
    H(member_count, 2),
    H(member_at, 2),
    H(event_audience_count, 2),
    H(event_audience, 2),
    H(event_invites, 2),
    H(event_span, 2),
    H(respond_cached, 2),
    H(utc_offset, 2),
    H(register_renderer, 2),
    /* 1.3: members' calendars (sync) */
    H(member_foreach, 3),
    H(member_sync, 3),
    H(source_submit_member, 3),
    H(state_get, 3),
    H(state_set, 3),
    H(event_ical, 3),
    /* 1.4: reminders */
    H(reminder_event, 4),
    H(reminder_ics, 4),
    H(mem_free, 4),
    /* 1.5: metrics */
    H(metric_register, 5),
    H(metric_add, 5),
    H(metric_set, 5),
    /* 1.6 appended to agendad_source_event only. 1.7: imports over loop turns */
    H(source_submit_member_async, 7),
    H(state_set_many, 7),
    /* 1.8: plugins' own commands */
    H(register_command, 8),
    H(command_line, 8),
    /* 1.8 too (not yet released then): checks of the settings */
    H(register_check, 8),
    H(check_error, 8),
    H(member_config, 8),
    /* 1.9: forms (POST), and who answered and attended */
    H(register_route_post, 9),
    H(request_form, 9),
    H(event_attendance, 9),
};

#define D(field, minor) FIELD(agendad_plugin_descriptor, field, minor)
static const abi_field descriptor_fields[] = {
    D(abi_major, 0),
    D(abi_minor, 0),
    D(struct_size, 0),
    D(name, 0),
    D(version, 0),
    D(init, 0),
    D(fini, 0),
};

#define R(field, minor) FIELD(agendad_reminder, field, minor)
static const abi_field reminder_fields[] = {
    R(size, 0),
    R(event_uid, 0),
    R(occurrence, 0),
    R(lead_time, 0),
    R(recipient, 0),
    R(language, 0),
    R(done, 0),
    R(host_data, 0),
    R(kind, 4),
    R(address, 4),
    R(both_languages, 4),
    R(sequence, 4),
    R(event_url, 4),
    R(id, 4),
    R(organizer, 9),
    R(rsvp_accept_url, 9),
    R(rsvp_tentative_url, 9),
    R(rsvp_decline_url, 9),
};

#define SE(field, minor) FIELD(agendad_source_event, field, minor)
static const abi_field source_event_fields[] = {
    SE(size, 0),
    SE(uid, 0),
    SE(title_ar, 0),
    SE(title_fr, 0),
    SE(description_ar, 0),
    SE(description_fr, 0),
    SE(location_ar, 0),
    SE(location_fr, 0),
    SE(start, 0),
    SE(end, 0),
    SE(all_day, 0),
    SE(tzid, 0),
    SE(member, 0),
    /* appended by the sync branch as its "1.2", merged as 1.3 */
    SE(status, 3),
    SE(categories, 3),
    SE(n_categories, 3),
    /* private data: "1.4" on its branch, merged as 1.6 */
    SE(attendees, 6),
    SE(n_attendees, 6),
    SE(alarms, 6),
    SE(n_alarms, 6),
};

#define MS(field, minor) FIELD(agendad_member_sync, field, minor)
static const abi_field member_sync_fields[] = {
    MS(size, 3),
    MS(feed_url, 3),
    MS(interval, 3),
    MS(caldav_url, 3),
    MS(caldav_username, 3),
    MS(caldav_password_file, 3),
    MS(network_wins, 3),
    MS(private_data, 3),
};

#define C(field, minor) FIELD(agendad_changes, field, minor)
static const abi_field changes_fields[] = {
    C(size, 0),
    C(added, 0),
    C(changed, 0),
    C(unchanged, 0),
    C(removed, 0),
    C(restored, 0),
    C(uids, 0),
    C(n_uids, 0),
};

#define NR(field, minor) FIELD(agendad_net_result, field, minor)
static const abi_field net_result_fields[] = {
    NR(size, 1),
    NR(outcome, 1),
    NR(status, 1),
    NR(error, 1),
    NR(body, 1),
    NR(body_len, 1),
    NR(etag, 1),
    NR(last_modified, 1),
    NR(content_type, 1),
    NR(elapsed_ms, 1),
};

#define HF(field, minor) FIELD(agendad_http_fetch, field, minor)
static const abi_field http_fetch_fields[] = {
    HF(size, 1),
    HF(url, 1),
    HF(method, 1),
    HF(headers, 1),
    HF(body, 1),
    HF(body_len, 1),
    HF(connect_timeout_ms, 1),
    HF(total_timeout_ms, 1),
    HF(max_body_bytes, 1),
    HF(max_redirects, 1),
    HF(username, 1),
    HF(password, 1),
    HF(tls_insecure, 1),
    HF(ca_file, 1),
};

#define SM(field, minor) FIELD(agendad_smtp_message, field, minor)
static const abi_field smtp_message_fields[] = {
    SM(size, 1),
    SM(url, 1),
    SM(starttls, 1),
    SM(username, 1),
    SM(password, 1),
    SM(from, 1),
    SM(rcpt, 1),
    SM(message, 1),
    SM(message_len, 1),
    SM(connect_timeout_ms, 1),
    SM(timeout_ms, 1),
    SM(tls_insecure, 1),
    SM(ca_file, 1),
};

#define RR(field, minor) FIELD(agendad_render_request, field, minor)
static const abi_field render_request_fields[] = {
    RR(size, 2),
    RR(key, 2),
    RR(format, 2),
    RR(lang, 2),
};

#define CR(field, minor) FIELD(agendad_command_request, field, minor)
static const abi_field command_request_fields[] = {
    CR(size, 8),
    CR(argv, 8),
    CR(argc, 8),
    CR(format, 8),
    CR(lang, 8),
    CR(out, 8),
    CR(err, 8),
    CR(state_error, 8),
};

#define AT(field, minor) FIELD(agendad_attendance, field, minor)
static const abi_field attendance_fields[] = {
    AT(size, 9), AT(member, 9), AT(invited, 9), AT(reply, 9), AT(attended, 9),
};

typedef struct {
    const char *name;
    const abi_field *fields;
    size_t n, size, align;
} abi_struct;

#define STRUCT(type, table)                                                                        \
    {#type, table, sizeof table / sizeof table[0], sizeof(type), _Alignof(type)}

/* The host table, the descriptor and every size-prefixed struct. */
static const abi_struct structs[] = {
    STRUCT(agendad_host, host_fields),
    STRUCT(agendad_plugin_descriptor, descriptor_fields),
    STRUCT(agendad_reminder, reminder_fields),
    STRUCT(agendad_source_event, source_event_fields),
    STRUCT(agendad_member_sync, member_sync_fields),
    STRUCT(agendad_changes, changes_fields),
    STRUCT(agendad_net_result, net_result_fields),
    STRUCT(agendad_http_fetch, http_fetch_fields),
    STRUCT(agendad_smtp_message, smtp_message_fields),
    STRUCT(agendad_render_request, render_request_fields),
    STRUCT(agendad_command_request, command_request_fields),
    STRUCT(agendad_attendance, attendance_fields),
};
#define N_STRUCTS (sizeof structs / sizeof structs[0])

typedef struct {
    const char *name;
    int minor;
} abi_type;

/* Every type the header declares, but the agendad_host_NAME function types
 * (their entry carries the label). */
static const abi_type types[] = {
    {"agendad_plugin", 0},
    {"agendad_host", 0},
    {"agendad_plugin_descriptor", 0},
    {"agendad_config_node", 0},
    {"agendad_config_kind", 0},
    {"agendad_event", 0},
    {"agendad_member", 0},
    {"agendad_text_field", 0},
    {"agendad_status", 0},
    {"agendad_visibility", 0},
    {"agendad_member_kind", 0},
    {"agendad_when", 0},
    {"agendad_slot", 0},
    {"agendad_request", 0},
    {"agendad_route_fn", 0},
    {"agendad_delivery", 0},
    {"agendad_reminder", 0},
    {"agendad_channel_fn", 0},
    {"agendad_source", 0},
    {"agendad_source_attendee", 6},
    {"agendad_trigger", 6},
    {"agendad_source_alarm", 6},
    {"agendad_source_event", 0},
    {"agendad_member_sync", 3},
    {"agendad_changes", 0},
    {"agendad_listener_fn", 0},
    {"agendad_xfer", 1},
    {"agendad_net_outcome", 1},
    {"agendad_net_result", 1},
    {"agendad_net_done_fn", 1},
    {"agendad_http_fetch", 1},
    {"agendad_smtp_message", 1},
    {"agendad_render_request", 2},
    {"agendad_render_fn", 2},
    {"agendad_command_request", 8},
    {"agendad_command_fn", 8},
    {"agendad_check", 8},
    {"agendad_check_fn", 8},
    {"agendad_metric", 5},
    {"agendad_metric_kind", 5},
    {"agendad_reply", 9},
    {"agendad_attendance", 9},
};
/* clang-format on */
#define N_TYPES (sizeof types / sizeof types[0])

/* ----------------------------------------------------------- reporting */

/* Each check counts the problems it finds and says what they are, unless
 * quiet (the tests that break things on purpose). */
static bool quiet;

static int problem(const char *fmt, ...) AGENDAD_PRINTF(1, 2);
static int problem(const char *fmt, ...)
{
    if (!quiet) {
        va_list ap;
        va_start(ap, fmt);
        fputs("abi: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    return 1;
}

/* ------------------------------------------------- checks of the layout */

static size_t round_up(size_t n, size_t align)
{
    return (n + align - 1) / align * align;
}

static int check_layout(const abi_struct *s)
{
    int bad = 0;
    if (s->n == 0 || s->fields[0].offset != 0)
        return problem("%s: the table must start with the field at offset 0", s->name);
    for (size_t i = 1; i < s->n; i++) {
        const abi_field *prev = &s->fields[i - 1], *f = &s->fields[i];
        size_t expected = round_up(prev->offset + prev->size, f->align);
        if (f->offset != expected)
            bad += problem("%s.%s: offset %zu, but %zu after %s: a field missing from the table, "
                           "or out of order",
                           s->name, f->name, f->offset, expected, prev->name);
        if (f->minor < prev->minor)
            bad += problem("%s.%s: since 1.%d follows %s since 1.%d: minors never fall as "
                           "offsets rise",
                           s->name, f->name, f->minor, prev->name, prev->minor);
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->fields[i].minor < 0 || s->fields[i].minor > AGENDAD_PLUGIN_ABI_MINOR)
            bad += problem("%s.%s: since 1.%d, but the header is 1.%d", s->name, s->fields[i].name,
                           s->fields[i].minor, AGENDAD_PLUGIN_ABI_MINOR);
    const abi_field *last = &s->fields[s->n - 1];
    if (round_up(last->offset + last->size, s->align) != s->size)
        bad += problem("%s: the table ends at %s (byte %zu) but sizeof is %zu: fields missing "
                       "from the table",
                       s->name, last->name, last->offset + last->size, s->size);
    return bad;
}

/* ------------------------------------------------ reading the header text */

#define MAX_NAME 64
#define MAX_FIELDS 128
#define MAX_DOC 2048

typedef struct {
    char name[MAX_NAME];
    char type[MAX_NAME]; /* first word of the declaration */
    bool inline_fn;      /* declared as (*name)(...) rather than through a type */
    int minor;           /* -1: no label */
} parsed_field;

typedef struct {
    char name[MAX_NAME]; /* the typedef name, else the tag */
    char doc[MAX_DOC];   /* the comment just before it */
    parsed_field fields[MAX_FIELDS];
    size_t n;
} parsed_struct;

typedef struct {
    char name[MAX_NAME];
    char doc[MAX_DOC];
    int minor;
} parsed_type;

typedef struct {
    parsed_struct structs[32];
    size_t n_structs;
    parsed_type types[160];
    size_t n_types;
    int problems; /* what the reading itself found */
} parsed_header;

typedef struct {
    parsed_header *h;
    int line;
    int depth;       /* braces */
    int paren;       /* parentheses of the current statement */
    char stmt[1024]; /* its code, comments left out */
    size_t len;
    char doc[MAX_DOC];       /* the last comment since the last statement */
    char stmt_doc[MAX_DOC];  /* the comment before the current statement */
    char block_doc[MAX_DOC]; /* the comment before the current { } block */
    parsed_struct *block;    /* the struct being read, or NULL */
    bool block_ended;        /* between its '}' and ';' */
    bool in_block;           /* in any { } at depth 1 (struct or enum) */
    int last_line;           /* line of the last declaration's ';' */
    int *last_minor;         /* where its label goes */
} scanner;

static void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The identifier a declaration declares: after "(*" when its first
 * parenthesis opens a pointer declarator, before that parenthesis for a
 * function type, else its last word. */
static void declared_name(const char *decl, char *out)
{
    char d[1024];
    copy_text(d, sizeof d, decl, strlen(decl));
    char *attr = strstr(d, "AGENDAD_PRINTF(");
    if (attr)
        *attr = '\0';
    const char *paren = strchr(d, '('), *p = paren ? paren + 1 : NULL;
    while (p && *p == ' ')
        p++;
    size_t n = 0;
    if (p && *p == '*') {
        p++;
        while (*p == ' ')
            p++;
        while (ident_char(p[n]))
            n++;
    } else {
        const char *end = paren ? paren : d + strlen(d);
        while (end > d && !ident_char(end[-1]))
            end--;
        p = end;
        while (p > d && ident_char(p[-1]))
            p--;
        n = (size_t)(end - p);
    }
    copy_text(out, MAX_NAME, p, n);
}

/* Splits at the commas outside parentheses: the next declarator of "a, b". */
static char *next_declarator(char **rest)
{
    char *start = *rest;
    if (!start)
        return NULL;
    int depth = 0;
    for (char *c = start; *c; c++) {
        depth += *c == '(' ? 1 : *c == ')' ? -1 : 0;
        if (*c == ',' && depth == 0) {
            *c = '\0';
            *rest = c + 1;
            return start;
        }
    }
    *rest = NULL;
    return start;
}

static void first_word(const char *decl, char *out)
{
    while (*decl == ' ')
        decl++;
    if (strncmp(decl, "const ", 6) == 0)
        decl += 6;
    size_t n = 0;
    while (ident_char(decl[n]))
        n++;
    copy_text(out, MAX_NAME, decl, n);
}

static void end_statement(scanner *s)
{
    s->stmt[s->len] = '\0';
    parsed_header *h = s->h;
    s->last_minor = NULL;
    if (s->block_ended) {
        /* "} NAME;" or "};" */
        s->block_ended = false;
        char name[MAX_NAME];
        declared_name(s->stmt, name);
        if (s->block && name[0])
            copy_text(s->block->name, MAX_NAME, name, strlen(name));
        if (name[0] && h->n_types < sizeof h->types / sizeof h->types[0]) {
            parsed_type *t = &h->types[h->n_types++];
            copy_text(t->name, MAX_NAME, name, strlen(name));
            copy_text(t->doc, MAX_DOC, s->block_doc, strlen(s->block_doc));
            t->minor = -1;
            s->last_minor = &t->minor;
        }
        s->block = NULL;
    } else if (s->depth == 1 && s->block) {
        /* A field; "a, b" declares two that share the label. */
        parsed_struct *st = s->block;
        char type[MAX_NAME];
        first_word(s->stmt, type);
        bool inline_fn = strstr(s->stmt, "(*") != NULL;
        char *rest = s->stmt;
        for (char *part; (part = next_declarator(&rest));) {
            if (st->n == MAX_FIELDS) {
                h->problems += problem("%s: too many fields to read", st->name);
                break;
            }
            parsed_field *f = &st->fields[st->n++];
            declared_name(part, f->name);
            copy_text(f->type, MAX_NAME, type, strlen(type));
            f->inline_fn = inline_fn;
            f->minor = -1;
            s->last_minor = &f->minor; /* the last declarator's: one per line is the rule */
        }
    } else if (s->depth == 0 && strncmp(s->stmt, "typedef ", 8) == 0) {
        if (h->n_types < sizeof h->types / sizeof h->types[0]) {
            parsed_type *t = &h->types[h->n_types++];
            declared_name(s->stmt, t->name);
            copy_text(t->doc, MAX_DOC, s->stmt_doc, strlen(s->stmt_doc));
            t->minor = -1;
            s->last_minor = &t->minor;
        }
    }
    s->last_line = s->line;
    s->len = 0;
    s->paren = 0;
}

static void open_block(scanner *s)
{
    s->stmt[s->len] = '\0';
    parsed_header *h = s->h;
    s->block = NULL;
    copy_text(s->block_doc, MAX_DOC, s->stmt_doc, strlen(s->stmt_doc));
    if (strstr(s->stmt, "struct") && h->n_structs < sizeof h->structs / sizeof h->structs[0]) {
        parsed_struct *st = &h->structs[h->n_structs++];
        memset(st, 0, sizeof *st);
        const char *tag = strstr(s->stmt, "struct ");
        if (tag)
            first_word(tag + 7, st->name);
        copy_text(st->doc, MAX_DOC, s->stmt_doc, strlen(s->stmt_doc));
        s->block = st;
    }
    s->len = 0;
}

/* A version number ("1.4", "ABI 1.2"...) anywhere but in a label: the
 * kind of prose that drifted. text starts on the header's line `line`. */
static void no_version_in(scanner *s, const char *text, size_t len, int line)
{
    for (size_t i = 0; i + 2 < len; i++) {
        line += text[i] == '\n';
        bool starts = i == 0 || !(isdigit((unsigned char)text[i - 1]) || text[i - 1] == '.' ||
                                  text[i - 1] == '/');
        if (starts && text[i] == '1' && text[i + 1] == '.' && isdigit((unsigned char)text[i + 2]))
            s->h->problems += problem("plugin.h:%d: a version outside a since label: \"%.*s\"",
                                      line, (int)strcspn(text + i, "\n"), text + i);
    }
}

static void comment(scanner *s, const char *text, size_t len, int line)
{
    while (len && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    if (len > 8 && strncmp(text, "since 1.", 8) == 0 && isdigit((unsigned char)text[8])) {
        int minor = atoi(text + 8);
        size_t skip = 8;
        while (skip < len && isdigit((unsigned char)text[skip]))
            skip++;
        if (skip < len && text[skip] != ';' && text[skip] != ' ')
            s->h->problems += problem("plugin.h:%d: a since label reads \"since 1.N\" or "
                                      "\"since 1.N; ...\"",
                                      line);
        if (line != s->last_line || !s->last_minor || s->len != 0)
            s->h->problems +=
                problem("plugin.h:%d: a since label not right after a declaration's ';'", line);
        else if (*s->last_minor != -1)
            s->h->problems += problem("plugin.h:%d: a second since label", line);
        else
            *s->last_minor = minor;
        no_version_in(s, text + skip, len - skip, line);
        return;
    }
    no_version_in(s, text, len, line);
    copy_text(s->doc, MAX_DOC, text, len);
}

/* Reads the header as a C compiler would (C++ blocks and preprocessor
 * lines left out): structs with their fields, typedefs, labels, docs. */
static void parse_header(const char *text, parsed_header *h)
{
    memset(h, 0, sizeof *h);
    scanner s = {.h = h, .line = 1};
    bool line_start = true;
    const char *p = text;
    while (*p) {
        if (line_start && (*p == ' ' || *p == '\t')) {
            p++;
            continue;
        }
        if (line_start && *p == '#') {
            bool cplusplus = strncmp(p, "#ifdef __cplusplus", 18) == 0;
            do { /* the line and its continuations */
                const char *nl = strchr(p, '\n');
                bool cont = nl && nl > p && nl[-1] == '\\';
                p = nl ? nl + 1 : p + strlen(p);
                s.line++;
                if (cplusplus && strncmp(p, "#endif", 6) == 0)
                    cplusplus = false, cont = true;
                else if (cplusplus)
                    cont = true;
                if (!cont || !*p)
                    break;
            } while (1);
            continue;
        }
        line_start = false;
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end) {
                h->problems += problem("plugin.h:%d: unterminated comment", s.line);
                return;
            }
            int line = s.line;
            for (const char *q = p; q < end; q++)
                s.line += *q == '\n';
            comment(&s, p + 2, (size_t)(end - p - 2), line);
            p = end + 2;
            continue;
        }
        char c = *p++;
        if (c == '\n') {
            s.line++;
            line_start = true;
            c = ' ';
        }
        if (isspace((unsigned char)c)) {
            if (s.len && s.stmt[s.len - 1] != ' ' && s.len + 1 < sizeof s.stmt)
                s.stmt[s.len++] = ' ';
            continue;
        }
        if (s.len == 0 && !s.block_ended) {
            memcpy(s.stmt_doc, s.doc, sizeof s.doc);
            s.doc[0] = '\0';
        }
        if (c == '{') {
            if (s.depth++ == 0)
                open_block(&s);
            continue;
        }
        if (c == '}') {
            if (--s.depth == 0) {
                s.block_ended = true;
                s.len = 0;
                s.doc[0] = '\0';
            }
            continue;
        }
        if (c == '(')
            s.paren++;
        if (c == ')')
            s.paren--;
        if (c == ';' && s.paren == 0) {
            end_statement(&s);
            s.doc[0] = '\0';
            continue;
        }
        if (s.len + 1 < sizeof s.stmt)
            s.stmt[s.len++] = c;
    }
}

static char *read_header(void)
{
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    assert_non_null(src);
    char path[4096];
    snprintf(path, sizeof path, "%s/core/include/agendad/plugin.h", src);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static const parsed_struct *find_struct(const parsed_header *h, const char *name)
{
    for (size_t i = 0; i < h->n_structs; i++)
        if (strcmp(h->structs[i].name, name) == 0)
            return &h->structs[i];
    return NULL;
}

static const parsed_type *find_type(const parsed_header *h, const char *name)
{
    for (size_t i = 0; i < h->n_types; i++)
        if (strcmp(h->types[i].name, name) == 0)
            return &h->types[i];
    return NULL;
}

/* --------------------------------------------- checks against the header */

/* The labels of one struct, in the header's order, against its table. */
static int check_labels(const abi_struct *s, const parsed_header *h)
{
    const parsed_struct *p = find_struct(h, s->name);
    if (!p)
        return problem("%s: not found in plugin.h", s->name);
    int bad = 0;
    for (size_t i = 0; i < p->n || i < s->n; i++) {
        const parsed_field *pf = i < p->n ? &p->fields[i] : NULL;
        const abi_field *tf = i < s->n ? &s->fields[i] : NULL;
        if (!pf || !tf || strcmp(pf->name, tf->name) != 0) {
            bad += problem("%s: field %zu is %s in plugin.h, %s in the table", s->name, i,
                           pf ? pf->name : "(none)", tf ? tf->name : "(none)");
            continue;
        }
        if (pf->minor < 0)
            bad += problem("%s.%s: no since label in plugin.h", s->name, pf->name);
        else if (pf->minor != tf->minor)
            bad += problem("%s.%s: plugin.h says since 1.%d, the table 1.%d", s->name, pf->name,
                           pf->minor, tf->minor);
    }
    return bad;
}

/* Every labelled struct has a table; every size-prefixed one says who fills
 * its size. */
static int check_struct_docs(const parsed_header *h)
{
    int bad = 0;
    for (size_t i = 0; i < h->n_structs; i++) {
        const parsed_struct *p = &h->structs[i];
        bool in_table = false;
        for (size_t j = 0; j < N_STRUCTS; j++)
            in_table |= strcmp(structs[j].name, p->name) == 0;
        bool labelled = false;
        for (size_t j = 0; j < p->n; j++)
            labelled |= p->fields[j].minor >= 0;
        bool sized = p->n && (strcmp(p->fields[0].name, "size") == 0 ||
                              strcmp(p->name, "agendad_plugin_descriptor") == 0);
        if ((labelled || sized) && !in_table)
            bad += problem("%s: labelled or size-prefixed, but not in the tables", p->name);
        /* The doc is at the typedef for struct X {...}, at the struct otherwise. */
        const char *doc = p->doc;
        const parsed_type *t = find_type(h, p->name);
        if (!doc[0] && t)
            doc = t->doc;
        if (sized && (!strstr(doc, "Size-prefixed") || !strstr(doc, "fill")))
            bad += problem("%s: its comment must say \"Size-prefixed\" and who fills the size",
                           p->name);
    }
    return bad;
}

/* Every type is labelled, as the table says; the agendad_host_NAME function
 * types are not (their entry is), and each documents its ownership. */
static int check_types(const parsed_header *h)
{
    int bad = 0;
    for (size_t i = 0; i < h->n_types; i++) {
        const parsed_type *t = &h->types[i];
        if (strncmp(t->name, "agendad_host_", 13) == 0) {
            if (t->minor >= 0)
                bad += problem("%s: labelled; the label belongs to the entry %s", t->name,
                               t->name + 13);
            if (!strstr(t->doc, "Ownership:"))
                bad += problem("%s: its comment must state \"Ownership:\"", t->name);
            continue;
        }
        const abi_type *known = NULL;
        for (size_t j = 0; j < N_TYPES; j++)
            if (strcmp(types[j].name, t->name) == 0)
                known = &types[j];
        if (!known)
            bad += problem("%s: a type missing from the table", t->name);
        else if (t->minor < 0)
            bad += problem("%s: no since label in plugin.h", t->name);
        else if (t->minor != known->minor)
            bad += problem("%s: plugin.h says since 1.%d, the table 1.%d", t->name, t->minor,
                           known->minor);
    }
    for (size_t j = 0; j < N_TYPES; j++)
        if (!find_type(h, types[j].name))
            bad += problem("%s: in the table, not in plugin.h", types[j].name);
    return bad;
}

/* Every function entry of the host table has its documented type. */
static int check_host_entries(const parsed_header *h)
{
    const parsed_struct *p = find_struct(h, "agendad_host");
    if (!p)
        return problem("agendad_host: not found in plugin.h");
    int bad = 0;
    for (size_t i = 0; i < p->n; i++) {
        const parsed_field *f = &p->fields[i];
        char want[MAX_NAME + 16];
        snprintf(want, sizeof want, "agendad_host_%s", f->name);
        if (f->inline_fn)
            bad += problem("agendad_host.%s: declare it as %s *%s, documented at that type",
                           f->name, want, f->name);
        else if (strncmp(f->type, "agendad_host_", 13) == 0 && strcmp(f->type, want) != 0)
            bad += problem("agendad_host.%s: of type %s, expected %s", f->name, f->type, want);
        else if (strncmp(f->type, "agendad_host_", 13) == 0 && !find_type(h, want))
            bad += problem("agendad_host.%s: %s is not declared", f->name, want);
    }
    return bad;
}

static int check_everything(const char *text)
{
    parsed_header *h = calloc(1, sizeof *h);
    assert_non_null(h);
    parse_header(text, h);
    int bad = h->problems;
    for (size_t i = 0; i < N_STRUCTS; i++)
        bad += check_labels(&structs[i], h);
    bad += check_struct_docs(h) + check_types(h) + check_host_entries(h);
    free(h);
    return bad;
}

/* ------------------------------------------------------------------ tests */

static void tables_agree_with_the_layout(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < N_STRUCTS; i++)
        bad += check_layout(&structs[i]);
    assert_int_equal(bad, 0);
}

/* Each minor added something, and the newest is the header's. */
static void every_minor_is_used(void **state)
{
    (void)state;
    bool used[AGENDAD_PLUGIN_ABI_MINOR + 1] = {0};
    for (size_t i = 0; i < N_STRUCTS; i++)
        for (size_t j = 0; j < structs[i].n; j++)
            if (structs[i].fields[j].minor >= 0 &&
                structs[i].fields[j].minor <= AGENDAD_PLUGIN_ABI_MINOR)
                used[structs[i].fields[j].minor] = true;
    for (size_t i = 0; i < N_TYPES; i++)
        if (types[i].minor >= 0 && types[i].minor <= AGENDAD_PLUGIN_ABI_MINOR)
            used[types[i].minor] = true;
    for (int m = 0; m <= AGENDAD_PLUGIN_ABI_MINOR; m++)
        if (!used[m])
            fail_msg("nothing in the tables is since 1.%d", m);
}

static void header_labels_match_the_tables(void **state)
{
    (void)state;
    char *text = read_header();
    assert_int_equal(check_everything(text), 0);
    free(text);
}

/* The checks themselves: each deliberate mistake must be caught. */

static char *replaced(const char *text, const char *after, const char *from, const char *to)
{
    const char *at = strstr(text, after);
    assert_non_null(at);
    at = strstr(at, from);
    assert_non_null(at);
    size_t pre = (size_t)(at - text), len = strlen(text);
    char *out = malloc(len - strlen(from) + strlen(to) + 1);
    assert_non_null(out);
    memcpy(out, text, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    return out;
}

static int check_mutated(const char *text, const char *after, const char *from, const char *to)
{
    char *bad_text = replaced(text, after, from, to);
    quiet = true;
    int bad = check_everything(bad_text);
    quiet = false;
    free(bad_text);
    return bad;
}

static void wrong_labels_are_caught(void **state)
{
    (void)state;
    char *text = read_header();
    /* The drifts this test was written for. */
    assert_true(check_mutated(text, "*metric_register;", "since 1.5", "since 1.4") > 0);
    assert_true(check_mutated(text, "agendad_status status;", "since 1.3", "since 1.2") > 0);
    assert_true(check_mutated(text, "} agendad_member_sync;", "since 1.3", "since 1.2") > 0);
    assert_true(check_mutated(text, "*state_set_many;", "/* since 1.7 */", "") > 0);
    assert_true(check_mutated(text, "*state_set_many;", "/* since 1.7 */",
                              "/* since 1.7 */ /* since 1.7 */") > 0);
    /* A version in prose, and a host function without its ownership. */
    assert_true(check_mutated(text, "} agendad_smtp_message;", "Starts an HTTP request.",
                              "Starts an HTTP request (ABI 1.1).") > 0);
    assert_true(check_mutated(text, "Starts an HTTP request.", "Ownership:", "Owner:") > 0);
    /* An entry declared inline rather than through its documented type. */
    assert_true(check_mutated(text, "struct agendad_host {", "agendad_host_mem_free *mem_free;",
                              "void (*mem_free)(void *p);") > 0);
    /* The header itself is still fine. */
    assert_int_equal(check_everything(text), 0);
    free(text);
}

static void missing_entries_are_caught(void **state)
{
    (void)state;
    abi_field fields[sizeof host_fields / sizeof host_fields[0]];
    size_t n = sizeof host_fields / sizeof host_fields[0];
    abi_struct s = {"agendad_host", fields, n - 1, sizeof(agendad_host), _Alignof(agendad_host)};
    quiet = true;
    /* Without its last entry, then without one in the middle. */
    memcpy(fields, host_fields, sizeof host_fields);
    assert_true(check_layout(&s) > 0);
    for (size_t i = 0, j = 0; i < n; i++)
        if (strcmp(host_fields[i].name, "member_sync") != 0)
            fields[j++] = host_fields[i];
    assert_true(check_layout(&s) > 0);
    /* Two entries swapped, and a minor that falls. */
    memcpy(fields, host_fields, sizeof host_fields);
    s.n = n;
    fields[5] = host_fields[6];
    fields[6] = host_fields[5];
    assert_true(check_layout(&s) > 0);
    memcpy(fields, host_fields, sizeof host_fields);
    fields[1].minor = 1;
    assert_true(check_layout(&s) > 0);
    quiet = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_agree_with_the_layout),   cmocka_unit_test(every_minor_is_used),
        cmocka_unit_test(header_labels_match_the_tables), cmocka_unit_test(wrong_labels_are_caught),
        cmocka_unit_test(missing_entries_are_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
