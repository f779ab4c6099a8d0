#include "model.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *ag_text_get(const ag_text *t, const char *lang)
{
    bool fr = lang && strcmp(lang, "fr") == 0;
    const char *want = fr ? t->fr : t->ar;
    const char *other = fr ? t->ar : t->fr;
    return want ? want : other;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ag_text_free(ag_text *t)
{
    free(t->ar);
    free(t->fr);
    t->ar = t->fr = NULL;
}

void ag_member_free(ag_member *m)
{
    free(m->id);
    ag_text_free(&m->name);
    free(m->region);
    ag_text_free(&m->province);
    free(m->language);
    free_strv(m->emails, m->n_emails);
    free(m->feed_url);
    free_strv(m->reminder_channels, m->n_reminder_channels);
    free_strv(m->sync.network_categories, m->sync.n_network_categories);
    free_strv(m->sync.categories, m->sync.n_categories);
    free(m->sync.caldav_url);
    free(m->sync.caldav_username);
    free(m->sync.caldav_password_file);
    free(m->loc.file);
    memset(m, 0, sizeof *m);
}

void ag_category_free(ag_category *c)
{
    free(c->id);
    ag_text_free(&c->name);
    free(c->loc.file);
    memset(c, 0, sizeof *c);
}

void ag_slot_free(ag_slot *s)
{
    ag_text_free(&s->title);
    free(s->kind);
    free(s->axis);
    free(s->loc.file);
    free(s->id);
}

const char *const ag_document_kind_names[] = {"agenda", "minutes", "presentation",
                                              "report", "other",   NULL};

static const struct {
    const char *ext, *type;
} document_types[] = {
    {"pdf", "application/pdf"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"csv", "text/csv; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
};

const char ag_document_extensions[] =
    ".pdf, .odt, .ods, .odp, .docx, .xlsx, .pptx, .csv, .txt, .png, .jpg, .jpeg";

const char *ag_document_content_type(const char *file)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    const char *dot = file ? strrchr(slash ? slash : file, '.') : NULL;
    if (!dot || !dot[1])
        return NULL;
    for (size_t i = 0; i < sizeof document_types / sizeof document_types[0]; i++)
        if (strcasecmp(dot + 1, document_types[i].ext) == 0)
            return document_types[i].type;
    return NULL;
}

static void put_encoded(char *out, size_t *n, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) || (keep_slash && *p == '/');
        if (plain) {
            out[(*n)++] = (char)*p;
        } else {
            out[(*n)++] = '%';
            out[(*n)++] = hex[*p >> 4];
            out[(*n)++] = hex[*p & 15];
        }
    }
}

char *ag_document_url(const char *base_url, const char *uid, const char *file)
{
    size_t cap = strlen(base_url) + sizeof "/documents/" + 3 * (strlen(uid) + strlen(file)) + 2;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = strlen(base_url);
    memcpy(out, base_url, n);
    memcpy(out + n, "/documents/", sizeof "/documents/" - 1);
    n += sizeof "/documents/" - 1;
    put_encoded(out, &n, uid, false);
    out[n++] = '/';
    put_encoded(out, &n, file, true);
    out[n] = '\0';
    return out;
}

void ag_document_free(ag_document *d)
{
    ag_text_free(&d->title);
    free(d->url);
    free(d->file);
    free(d->loc.file);
    memset(d, 0, sizeof *d);
}

void ag_event_free(ag_event *e)
{
    free(e->uid);
    ag_text_free(&e->title);
    ag_text_free(&e->description);
    ag_text_free(&e->location);
    free(e->tzid);
    free(e->host);
    free_strv(e->audience, e->n_audience);
    free_strv(e->categories, e->n_categories);
    free(e->rrule);
    free(e->online_url);
    free(e->exdates);
    free(e->reminders);
    free_strv(e->reminder_channels, e->n_reminder_channels);
    free_strv(e->reminder_extra, e->n_reminder_extra);
    for (size_t i = 0; i < e->n_slots; i++)
        ag_slot_free(&e->slots[i]);
    free(e->slots);
    for (size_t i = 0; i < e->n_documents; i++)
        ag_document_free(&e->documents[i]);
    free(e->documents);
    free(e->loc.file);
    memset(e, 0, sizeof *e);
}

/* Copy helpers record failure in *ok instead of returning early, so that one
 * check at the end covers every field. */
static char *dup_str(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static ag_text dup_text(const ag_text *t, bool *ok)
{
    return (ag_text){dup_str(t->ar, ok), dup_str(t->fr, ok)};
}

static void *dup_mem(const void *p, size_t size, bool *ok)
{
    if (!p || size == 0)
        return NULL;
    void *d = malloc(size);
    if (!d) {
        *ok = false;
        return NULL;
    }
    return memcpy(d, p, size);
}

static char **dup_strv(char *const *v, size_t n, bool *ok)
{
    if (n == 0)
        return NULL;
    char **d = calloc(n, sizeof *d);
    if (!d) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = dup_str(v[i], ok);
    return d;
}

static ag_loc dup_loc(const ag_loc *l, bool *ok)
{
    return (ag_loc){dup_str(l->file, ok), l->line, l->col};
}

static ag_slot *dup_slots(const ag_slot *s, size_t n, bool *ok)
{
    if (n == 0)
        return NULL;
    ag_slot *d = calloc(n, sizeof *d);
    if (!d) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = s[i];
        d[i].title = dup_text(&s[i].title, ok);
        d[i].kind = dup_str(s[i].kind, ok);
        d[i].axis = dup_str(s[i].axis, ok);
        d[i].loc = dup_loc(&s[i].loc, ok);
        d[i].id = dup_str(s[i].id, ok);
    }
    return d;
}

static ag_document *dup_documents(const ag_document *s, size_t n, bool *ok)
{
    if (n == 0)
        return NULL;
    ag_document *d = calloc(n, sizeof *d);
    if (!d) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = s[i];
        d[i].title = dup_text(&s[i].title, ok);
        d[i].url = dup_str(s[i].url, ok);
        d[i].file = dup_str(s[i].file, ok);
        d[i].loc = dup_loc(&s[i].loc, ok);
    }
    return d;
}

int ag_event_copy(ag_event *dst, const ag_event *src)
{
    bool ok = true;
    *dst = *src;
    dst->uid = dup_str(src->uid, &ok);
    dst->title = dup_text(&src->title, &ok);
    dst->description = dup_text(&src->description, &ok);
    dst->location = dup_text(&src->location, &ok);
    dst->tzid = dup_str(src->tzid, &ok);
    dst->host = dup_str(src->host, &ok);
    dst->audience = dup_strv(src->audience, src->n_audience, &ok);
    dst->categories = dup_strv(src->categories, src->n_categories, &ok);
    dst->rrule = dup_str(src->rrule, &ok);
    dst->online_url = dup_str(src->online_url, &ok);
    dst->exdates = dup_mem(src->exdates, src->n_exdates * sizeof *src->exdates, &ok);
    dst->reminders = dup_mem(src->reminders, src->n_reminders * sizeof *src->reminders, &ok);
    dst->reminder_channels = dup_strv(src->reminder_channels, src->n_reminder_channels, &ok);
    dst->reminder_extra = dup_strv(src->reminder_extra, src->n_reminder_extra, &ok);
    dst->slots = dup_slots(src->slots, src->n_slots, &ok);
    dst->documents = dup_documents(src->documents, src->n_documents, &ok);
    dst->loc = dup_loc(&src->loc, &ok);
    if (!ok) {
        ag_event_free(dst);
        return AG_ENOMEM;
    }
    return 0;
}

bool ag_str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool ag_text_eq(const ag_text *a, const ag_text *b)
{
    return ag_str_eq(a->ar, b->ar) && ag_str_eq(a->fr, b->fr);
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!ag_str_eq(a[i], b[i]))
            return false;
    return true;
}

static bool dt_eq(const ag_datetime *a, const ag_datetime *b)
{
    return a->is_date == b->is_date && ag_datetime_cmp(a, b) == 0;
}

bool ag_slot_equal(const ag_slot *a, const ag_slot *b)
{
    if (a->timed != b->timed || !ag_text_eq(&a->title, &b->title) || !ag_str_eq(a->kind, b->kind) ||
        !ag_str_eq(a->axis, b->axis))
        return false;
    return !a->timed || (dt_eq(&a->start, &b->start) && dt_eq(&a->end, &b->end));
}

bool ag_document_equal(const ag_document *a, const ag_document *b)
{
    return ag_text_eq(&a->title, &b->title) && a->kind == b->kind &&
           dt_eq(&a->published, &b->published) && ag_str_eq(a->url, b->url) &&
           ag_str_eq(a->file, b->file);
}

bool ag_event_flags_equal(const ag_event *a, const ag_event *b)
{
    return a->invitations == b->invitations && a->publish_attendance == b->publish_attendance;
}

size_t ag_event_document_count(const ag_event *e, ag_document_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_documents; i++)
        n += e->documents[i].kind == kind;
    return n;
}

static bool lists_eq(const ag_event *a, const ag_event *b)
{
    if (a->n_exdates != b->n_exdates || a->n_reminders != b->n_reminders ||
        a->n_slots != b->n_slots || a->n_documents != b->n_documents)
        return false;
    for (size_t i = 0; i < a->n_documents; i++)
        if (!ag_document_equal(&a->documents[i], &b->documents[i]))
            return false;
    for (size_t i = 0; i < a->n_exdates; i++)
        if (!dt_eq(&a->exdates[i], &b->exdates[i]))
            return false;
    for (size_t i = 0; i < a->n_reminders; i++)
        if (a->reminders[i] != b->reminders[i])
            return false;
    for (size_t i = 0; i < a->n_slots; i++)
        if (!ag_slot_equal(&a->slots[i], &b->slots[i]))
            return false;
    return strv_eq(a->audience, a->n_audience, b->audience, b->n_audience) &&
           strv_eq(a->categories, a->n_categories, b->categories, b->n_categories);
}

bool ag_event_equal(const ag_event *a, const ag_event *b)
{
    return ag_str_eq(a->uid, b->uid) && ag_text_eq(&a->title, &b->title) &&
           ag_text_eq(&a->description, &b->description) && ag_text_eq(&a->location, &b->location) &&
           dt_eq(&a->start, &b->start) && dt_eq(&a->end, &b->end) && ag_str_eq(a->tzid, b->tzid) &&
           ag_str_eq(a->host, b->host) && a->status == b->status &&
           a->visibility == b->visibility && ag_str_eq(a->rrule, b->rrule) &&
           ag_str_eq(a->online_url, b->online_url) && lists_eq(a, b);
}

static bool exdates_eq(const ag_event *a, const ag_event *b)
{
    if (a->n_exdates != b->n_exdates)
        return false;
    for (size_t i = 0; i < a->n_exdates; i++)
        if (!dt_eq(&a->exdates[i], &b->exdates[i]))
            return false;
    return true;
}

/* What feed_event.c's write_slot takes from the event, besides its uid and
 * status: DESCRIPTION (the title), LOCATION, CLASS, the zone of DTSTART and
 * DTEND, and a series' RRULE and EXDATEs, shifted by the item's distance
 * from the event's start (which also decides whether it is published). */
bool ag_slot_context_equal(const ag_event *a, const ag_event *b)
{
    if (!ag_str_eq(a->uid, b->uid) || !ag_text_eq(&a->title, &b->title) ||
        !ag_text_eq(&a->location, &b->location) || a->visibility != b->visibility ||
        !ag_str_eq(a->tzid, b->tzid) || !ag_str_eq(a->rrule, b->rrule))
        return false;
    return !a->rrule || (dt_eq(&a->start, &b->start) && exdates_eq(a, b));
}
