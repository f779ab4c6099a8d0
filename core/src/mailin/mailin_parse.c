/* One message read with GMime: the calendar parts anywhere in its MIME tree
 * (text/calendar, application/ics, or any part named *.ics, whatever the
 * transfer encoding), the Outlook subject of a reply whose calendar a
 * gateway stripped, and the addresses the signed tag may be in. */
#include "mailin_internal.h"

#include "error.h"

#include <gmime/gmime.h>
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A forwarded message's calendar is someone else's answer, and nesting
 * this deep is no client's. */
#define MAX_DEPTH 32

void ag_mailin_init(void)
{
    g_mime_init();
    /* libical makes its UTC zone at first use: on this thread, before any
     * parse in the pool needs it. */
    (void)icaltimezone_get_utc_timezone();
}

void ag_mailin_shutdown(void)
{
    g_mime_shutdown();
}

/* What the walk found so far. */
typedef struct {
    ag_mailin_reply *out;
    bool found;            /* a REPLY is in out */
    const char *malformed; /* why the first malformed REPLY was, or NULL */
    const char *other;     /* why the first other calendar was skipped, or NULL */
    int rc;                /* AG_ENOMEM once memory ran out */
} walk_ctx;

static bool ends_with_ics(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 4 && strcasecmp(name + n - 4, ".ics") == 0;
}

static bool is_calendar(GMimeObject *o)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    return g_mime_content_type_is_type(ct, "text", "calendar") ||
           g_mime_content_type_is_type(ct, "application", "ics") ||
           ends_with_ics(g_mime_part_get_filename(GMIME_PART(o)));
}

/* The part's content decoded (transfer encoding, and charset for text
 * parts), NUL-terminated; g_free it. NULL when it is empty or larger than
 * AG_MAILIN_MAX_CALENDAR. */
static char *part_text(GMimePart *part)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *raw = w ? g_mime_data_wrapper_get_stream(w) : NULL;
    /* base64 is 4/3 of the bytes, quoted-printable at most 3 times. */
    if (!raw || g_mime_stream_length(raw) > 3 * (gint64)AG_MAILIN_MAX_CALENDAR)
        return NULL;
    if (GMIME_IS_TEXT_PART(part)) {
        char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
        if (text && strlen(text) > AG_MAILIN_MAX_CALENDAR) {
            g_free(text);
            return NULL;
        }
        return text;
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, mem);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    char *text = NULL;
    if (bytes->len <= AG_MAILIN_MAX_CALENDAR)
        text = g_strndup((const char *)bytes->data, bytes->len);
    g_object_unref(mem);
    return text;
}

static void consider(walk_ctx *c, GMimePart *part)
{
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
    const char *method = g_mime_content_type_get_parameter(ct, "method");
    char *text = part_text(part);
    if (!text)
        return;
    ag_mailin_reply tmp = {0};
    ag_mailin_cal kind;
    int rc = ag_mailin_calendar_read(text, method, &tmp, &kind);
    g_free(text);
    if (rc < 0) {
        c->rc = rc;
    } else if (kind == AG_MAILIN_CAL_REPLY) {
        c->found = true;
        c->out->uid = tmp.uid;
        c->out->sequence = tmp.sequence;
        c->out->dtstamp = tmp.dtstamp;
        c->out->attendees = tmp.attendees;
        c->out->n_attendees = tmp.n_attendees;
        return;
    } else if (kind == AG_MAILIN_CAL_MALFORMED && !c->malformed) {
        c->malformed = tmp.why;
    } else if (kind == AG_MAILIN_CAL_OTHER && !c->other) {
        c->other = tmp.why;
    }
    ag_mailin_reply_clear(&tmp);
}

static void walk(walk_ctx *c, GMimeObject *o, int depth)
{
    if (!o || depth > MAX_DEPTH || c->found || c->rc < 0)
        return;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
            walk(c, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_PART(o) && is_calendar(o)) {
        consider(c, GMIME_PART(o));
    }
    /* message/rfc822 parts are not entered: see MAX_DEPTH. */
}

/* ------------------------------------------------------------ headers */

static int add_recipient(ag_mailin_reply *r, const char *addr)
{
    if (!addr || !*addr)
        return 0;
    for (size_t i = 0; i < r->n_recipients; i++)
        if (strcmp(r->recipients[i], addr) == 0)
            return 0;
    char **more = realloc(r->recipients, (r->n_recipients + 1) * sizeof *more);
    if (!more)
        return AG_ENOMEM;
    r->recipients = more;
    if (!(r->recipients[r->n_recipients] = strdup(addr)))
        return AG_ENOMEM;
    r->n_recipients++;
    return 0;
}

static int add_list(ag_mailin_reply *r, InternetAddressList *list)
{
    int n = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *a = internet_address_list_get_address(list, i);
        int rc = 0;
        if (INTERNET_ADDRESS_IS_MAILBOX(a))
            rc = add_recipient(r, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
        else if (INTERNET_ADDRESS_IS_GROUP(a))
            rc = add_list(r, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)));
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Every header of that name, each value an address list. */
static int add_headers(ag_mailin_reply *r, GMimeMessage *m, const char *name)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
    int n = g_mime_header_list_get_count(hl);
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        if (strcasecmp(g_mime_header_get_name(h), name) != 0)
            continue;
        InternetAddressList *list = internet_address_list_parse(NULL, g_mime_header_get_value(h));
        int rc = add_list(r, list);
        if (list)
            g_object_unref(list);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_recipients(ag_mailin_reply *r, GMimeMessage *m, const char *envelope_rcpt)
{
    int rc = add_recipient(r, envelope_rcpt);
    if (rc == 0)
        rc = add_headers(r, m, "Delivered-To");
    if (rc == 0)
        rc = add_headers(r, m, "X-Original-To");
    if (rc == 0)
        rc = add_list(r, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO));
    if (rc == 0)
        rc = add_list(r, g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_CC));
    return rc;
}

static int read_from(ag_mailin_reply *r, GMimeMessage *m)
{
    InternetAddressList *from = g_mime_message_get_from(m);
    for (int i = 0; from && i < internet_address_list_length(from); i++) {
        InternetAddress *a = internet_address_list_get_address(from, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a))
            return ag_mailin_address_norm(
                internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)), &r->from);
    }
    return 0;
}

/* Outlook names its answer in the subject, in the reader's language:
 * "Accepted: ...", "Tentative: ...", "Declined: ..." in English, "Accepté :",
 * "Provisoire :", "Refusé :" in French (before the colon, a space or a
 * no-break space). */
static ag_mailin_partstat subject_answer(const char *subject)
{
    static const struct {
        const char *word;
        ag_mailin_partstat p;
    } words[] = {
        {"Accepted", AG_MAILIN_ACCEPTED},    {"Tentative", AG_MAILIN_TENTATIVE},
        {"Declined", AG_MAILIN_DECLINED},    {"Accept\xc3\xa9", AG_MAILIN_ACCEPTED},
        {"Provisoire", AG_MAILIN_TENTATIVE}, {"Refus\xc3\xa9", AG_MAILIN_DECLINED},
    };
    static const char *const spaces[] = {" ", "\xc2\xa0", "\xe2\x80\xaf"};
    while (subject && (*subject == ' ' || *subject == '\t'))
        subject++;
    for (size_t i = 0; subject && i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (strncasecmp(subject, words[i].word, n) != 0)
            continue;
        const char *s = subject + n;
        for (size_t k = 0; k < sizeof spaces / sizeof spaces[0]; k++)
            if (strncmp(s, spaces[k], strlen(spaces[k])) == 0) {
                s += strlen(spaces[k]);
                break;
            }
        if (*s == ':')
            return words[i].p;
    }
    return AG_MAILIN_NO_ANSWER;
}

/* A reply (In-Reply-To or References) whose subject names an answer. */
static bool read_subject(ag_mailin_reply *r, GMimeMessage *m)
{
    GMimeObject *o = GMIME_OBJECT(m);
    if (!g_mime_object_get_header(o, "In-Reply-To") && !g_mime_object_get_header(o, "References"))
        return false;
    r->subject_answer = subject_answer(g_mime_message_get_subject(m));
    if (r->subject_answer == AG_MAILIN_NO_ANSWER)
        return false;
    GDateTime *date = g_mime_message_get_date(m);
    r->dtstamp = date ? (int64_t)g_date_time_to_unix(date) : 0;
    return true;
}

static void conclude(ag_mailin_reply *r, GMimeMessage *m, const walk_ctx *c)
{
    if (c->found)
        r->kind = AG_MAILIN_REPLY;
    else if (c->malformed) {
        r->kind = AG_MAILIN_MALFORMED;
        r->why = c->malformed;
    } else if (read_subject(r, m))
        r->kind = AG_MAILIN_SUBJECT;
    else {
        r->kind = AG_MAILIN_NOT_REPLY;
        r->why = c->other ? c->other : "no calendar reply in the message";
    }
}

int ag_mailin_parse(const char *msg, size_t len, const char *envelope_rcpt, ag_mailin_reply *out)
{
    *out = (ag_mailin_reply){.kind = AG_MAILIN_NOT_REPLY};
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(len ? msg : "", len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    g_object_unref(p);
    g_object_unref(s);
    if (!m) {
        out->kind = AG_MAILIN_MALFORMED;
        out->why = "not an RFC 5322 message";
        return 0;
    }
    walk_ctx c = {.out = out};
    walk(&c, g_mime_message_get_mime_part(m), 0);
    int rc = c.rc;
    if (rc == 0)
        rc = read_from(out, m);
    if (rc == 0)
        rc = read_recipients(out, m, envelope_rcpt);
    if (rc == 0)
        conclude(out, m, &c);
    g_object_unref(m);
    if (rc < 0)
        ag_mailin_reply_clear(out);
    return rc;
}

void ag_mailin_reply_clear(ag_mailin_reply *r)
{
    free(r->uid);
    for (size_t i = 0; i < r->n_attendees; i++) {
        free(r->attendees[i].address);
        free(r->attendees[i].delegated_to);
        free(r->attendees[i].delegated_from);
    }
    free(r->attendees);
    free(r->from);
    for (size_t i = 0; i < r->n_recipients; i++)
        free(r->recipients[i]);
    free(r->recipients);
    *r = (ag_mailin_reply){.kind = AG_MAILIN_NOT_REPLY};
}

const ag_mailin_attendee *ag_mailin_attendee_find(const ag_mailin_reply *r, const char *address)
{
    for (size_t i = 0; address && i < r->n_attendees; i++)
        if (strcmp(r->attendees[i].address, address) == 0)
            return &r->attendees[i];
    return NULL;
}

const char *ag_mailin_partstat_name(ag_mailin_partstat p)
{
    static const char *const names[] = {"NEEDS-ACTION", "ACCEPTED", "TENTATIVE", "DECLINED",
                                        "DELEGATED"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}
