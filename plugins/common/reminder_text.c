#include "reminder_text.h"

#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *rem_local_time(int64_t instant, const char *tzid, bool all_day)
{
    icaltimezone *z = tzid ? icaltimezone_get_builtin_timezone(tzid) : NULL;
    icaltimetype t =
        icaltime_from_timet_with_zone((time_t)instant, 0, z ? z : icaltimezone_get_utc_timezone());
    char *s = NULL;
    int rc = all_day ? asprintf(&s, "%04d-%02d-%02d", t.year, t.month, t.day)
                     : asprintf(&s, "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour,
                                t.minute);
    return rc < 0 ? NULL : s;
}

static char *when_text(const rem_text *t)
{
    char *a = rem_local_time(t->occurrence, t->tzid, t->all_day);
    char *b = rem_local_time(t->occurrence_end, t->tzid, t->all_day);
    char *s = NULL;
    if (a && b && asprintf(&s, "%s – %s (%s)", a, b, t->tzid ? t->tzid : "UTC") < 0)
        s = NULL;
    free(a);
    free(b);
    return s;
}

static void load_agenda(const agendad_host *h, agendad_plugin *self, const agendad_event *ev,
                        const rem_text *t, rem_lang_text *l)
{
    size_t n = h->event_slot_count(self, ev);
    l->agenda = n ? calloc(n, sizeof *l->agenda) : NULL;
    for (size_t i = 0; l->agenda && i < n; i++) {
        agendad_slot s;
        const char *title = h->event_slot_title(self, ev, i, l->lang);
        if (h->event_slot(self, ev, i, &s) != 0 || !title)
            continue;
        char *at = s.timed ? rem_local_time(s.start, t->tzid, false) : NULL;
        char *line = NULL;
        /* Only the clock time: the date is the event's. */
        if (asprintf(&line, "%s %s", at ? at + 11 : "–", title) >= 0)
            l->agenda[l->n_agenda++] = line;
        free(at);
    }
}

static void load_lang(const agendad_host *h, agendad_plugin *self, const agendad_event *ev,
                      rem_text *t, const char *lang)
{
    rem_lang_text *l = &t->langs[t->n_langs++];
    l->lang = lang;
    l->title = dup_or_null(h->event_text(self, ev, AGENDAD_TEXT_TITLE, lang));
    l->location = dup_or_null(h->event_text(self, ev, AGENDAD_TEXT_LOCATION, lang));
    l->description = dup_or_null(h->event_text(self, ev, AGENDAD_TEXT_DESCRIPTION, lang));
    l->when = when_text(t);
    load_agenda(h, self, ev, t, l);
}

int rem_text_load(const agendad_host *h, agendad_plugin *self, const agendad_reminder *r,
                  rem_text *t)
{
    memset(t, 0, sizeof *t);
    const agendad_event *ev = AGENDAD_HOST_HAS(h, reminder_event)
                                  ? h->reminder_event(self, r)
                                  : h->event_find(self, r->event_uid);
    if (!ev)
        return AGENDAD_ENOENT;
    agendad_when w;
    if (h->event_when(self, ev, &w) != 0)
        return AGENDAD_EZONE;
    bool v12 = AGENDAD_REMINDER_HAS(r, id);
    t->kind = v12 && r->kind ? r->kind : "reminder";
    t->uid = r->event_uid;
    t->url = v12 ? r->event_url : NULL;
    t->id = v12 ? r->id : NULL;
    t->address = v12 ? r->address : NULL;
    t->member = r->recipient;
    t->sequence = v12 ? r->sequence : 0;
    t->occurrence = r->occurrence;
    t->occurrence_end = r->occurrence + (w.end - w.start);
#if AGENDAD_PLUGIN_ABI_MINOR >= 9
    if (AGENDAD_REMINDER_HAS(r, rsvp_decline_url)) {
        t->accept_url = r->rsvp_accept_url;
        t->tentative_url = r->rsvp_tentative_url;
        t->decline_url = r->rsvp_decline_url;
    }
#endif
    t->lead = r->lead_time;
    t->tzid = w.tzid;
    t->all_day = w.all_day;
    const char *first = r->language && strcmp(r->language, "fr") == 0 ? "fr" : "ar";
    load_lang(h, self, ev, t, first);
    if (v12 && r->both_languages)
        load_lang(h, self, ev, t, strcmp(first, "ar") == 0 ? "fr" : "ar");
    return 0;
}

void rem_text_free(rem_text *t)
{
    for (size_t i = 0; i < t->n_langs; i++) {
        rem_lang_text *l = &t->langs[i];
        free(l->title);
        free(l->location);
        free(l->description);
        free(l->when);
        for (size_t j = 0; j < l->n_agenda; j++)
            free(l->agenda[j]);
        free(l->agenda);
    }
    memset(t, 0, sizeof *t);
}

static const char *prefix(const char *kind, const char *lang)
{
    static const char *const prefixes[][3] = {
        {"cancel", "إلغاء:", "Annulé :"},
        {"change", "تعديل:", "Modifié :"},
        {"invite", "دعوة:", "Invitation :"},
        {"invite-cancel", "إلغاء الدعوة:", "Invitation annulée :"},
        {"minutes", "محضر لم يُنشر بعد:", "Compte rendu à publier :"},
    };
    bool ar = strcmp(lang, "ar") == 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strcmp(kind, prefixes[i][0]) == 0)
            return prefixes[i][ar ? 1 : 2];
    return ar ? "تذكير:" : "Rappel :";
}

/* The plural category of n as Unicode CLDR has it for Arabic: one, two,
 * few (n % 100 in 3..10), many (n % 100 in 11..99), other (0, 100, 101,
 * 102...). French needs only one (1) and other. */
typedef enum { PL_ONE, PL_TWO, PL_FEW, PL_MANY, PL_OTHER } ar_plural;

static ar_plural arabic_plural(int64_t n)
{
    if (n == 1)
        return PL_ONE;
    if (n == 2)
        return PL_TWO;
    if (n % 100 >= 3 && n % 100 <= 10)
        return PL_FEW;
    if (n % 100 >= 11)
        return PL_MANY;
    return PL_OTHER;
}

enum { U_DAY, U_HOUR, U_MINUTE, N_UNITS };

/* Appends to buf (of size, holding len bytes) what fits; returns the new
 * length, never past size - 1. */
static size_t append(char *buf, size_t size, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t len, const char *fmt, ...)
{
    if (len + 1 >= size)
        return len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return len;
    return (size_t)n < size - len ? len + (size_t)n : size - 1;
}

/* One count of a unit: "1 jour", "2 heures"; "يوم واحد", "يومين", "3 أيام",
 * "11 يومًا", "100 يوم": the Arabic singular and dual stand without a
 * digit, as they are said. */
static size_t put_count(char *buf, size_t size, size_t len, int64_t n, int unit, bool ar)
{
    static const char *const fr_forms[N_UNITS][2] = {
        {"jour", "jours"}, {"heure", "heures"}, {"minute", "minutes"}};
    static const char *const ar_forms[N_UNITS][5] = {
        /* one, two, few, many, other */
        {"يوم واحد", "يومين", "أيام", "يومًا", "يوم"},
        {"ساعة واحدة", "ساعتين", "ساعات", "ساعة", "ساعة"},
        {"دقيقة واحدة", "دقيقتين", "دقائق", "دقيقة", "دقيقة"},
    };
    if (!ar)
        return append(buf, size, len, "%lld %s", (long long)n, fr_forms[unit][n > 1]);
    ar_plural p = arabic_plural(n);
    if (p == PL_ONE || p == PL_TWO)
        return append(buf, size, len, "%s", ar_forms[unit][p]);
    return append(buf, size, len, "%lld %s", (long long)n, ar_forms[unit][p]);
}

/* A cut in the middle of a UTF-8 sequence would leave a broken character:
 * drop the sequence's start instead. */
static void utf8_trim(char *buf, size_t len, size_t size)
{
    if (len + 1 < size)
        return;
    size_t end = len;
    while (end > 0 && ((unsigned char)buf[end - 1] & 0xC0) == 0x80)
        end--;
    if (end > 0 && (unsigned char)buf[end - 1] >= 0xC0) {
        size_t need = (unsigned char)buf[end - 1] >= 0xF0   ? 4
                      : (unsigned char)buf[end - 1] >= 0xE0 ? 3
                                                            : 2;
        if (len - (end - 1) < need)
            buf[end - 1] = '\0';
    }
}

void rem_lead(int64_t lead, const char *lang, char *buf, size_t size)
{
    if (!size)
        return;
    bool ar = strcmp(lang, "ar") == 0;
    int64_t counts[N_UNITS] = {lead / 86400, lead % 86400 / 3600, lead % 3600 / 60};
    size_t len = 0;
    buf[0] = '\0';
    int u = 0;
    while (u < N_UNITS && counts[u] <= 0)
        u++;
    if (u == N_UNITS) {
        len = append(buf, size, len, "%s", ar ? "أقل من دقيقة" : "moins d'une minute");
    } else {
        len = put_count(buf, size, len, counts[u], u, ar);
        if (u + 1 < N_UNITS && counts[u + 1] > 0) {
            len = append(buf, size, len, "%s", ar ? " و" : " et ");
            len = put_count(buf, size, len, counts[u + 1], u + 1, ar);
        }
    }
    utf8_trim(buf, len, size);
}

void rem_ahead(int64_t lead, const char *lang, char *buf, size_t size)
{
    char words[128];
    rem_lead(lead, lang, words, sizeof words);
    size_t len = append(buf, size, 0, "%s %s", strcmp(lang, "ar") == 0 ? "بعد" : "dans", words);
    utf8_trim(buf, len, size);
}

/* A reminder says how far ahead its occurrence is; a notice (cancel,
 * change) goes out when the event changed, with no lead of its own. */
static bool says_lead(const rem_text *t)
{
    return strcmp(t->kind, "reminder") == 0 && t->lead > 0;
}

char *rem_subject(const rem_text *t)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < t->n_langs; i++) {
        const char *lang = t->langs[i].lang;
        const char *title = t->langs[i].title ? t->langs[i].title : t->uid;
        bool ar = strcmp(lang, "ar") == 0;
        fputs(i ? " | " : "", f);
        if (says_lead(t)) {
            /* "تذكير، بعد يوم واحد: …", "Rappel, dans 1 jour : …" */
            char ahead[160];
            rem_ahead(t->lead, lang, ahead, sizeof ahead);
            fprintf(f, ar ? "تذكير، %s: %s" : "Rappel, %s : %s", ahead, title);
        } else {
            fprintf(f, "%s %s", prefix(t->kind, lang), title);
        }
    }
    fclose(f);
    return s;
}

static const char *label(const char *key, const char *lang)
{
    static const char *const labels[][3] = {
        {"when", "الموعد", "Quand"},
        {"where", "المكان", "Où"},
        {"agenda", "البرنامج", "Programme"},
        {"link", "الرابط", "Lien"},
        {"starts", "يبدأ هذا الحدث", "Cet événement commence"},
        {"cancel", "تم إلغاء هذا الحدث.", "Cet événement est annulé."},
        {"change", "تغير موعد أو مكان هذا الحدث.", "La date ou le lieu de cet événement a changé."},
        {"invite", "أنتم مدعوون إلى هذا الحدث. المرجو الرد:",
         "Vous êtes invité(e) à cet événement. Merci de répondre :"},
        {"invite-cancel", "تم إلغاء هذه الدعوة.", "Cette invitation est annulée."},
        {"minutes", "انتهى هذا الحدث ولم يُنشر محضره بعد: المرجو إضافته إلى وثائقه (kind: minutes).",
         "Cet événement est passé et son compte rendu n'est pas encore publié : ajoutez-le à "
         "ses documents (kind: minutes)."},
        {"accept", "قبول", "Accepter"},
        {"tentative", "ربما", "Peut-être"},
        {"decline", "اعتذار", "Refuser"},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i][0], key) == 0)
            return labels[i][strcmp(lang, "ar") == 0 ? 1 : 2];
    return key;
}

typedef void (*put_fn)(FILE *f, const char *s);

static void put_plain(FILE *f, const char *s)
{
    fputs(s, f);
}

/* HTML text content: the five characters with a meaning in markup. */
static void put_html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void write_link(FILE *f, const char *text, const char *url, bool html)
{
    if (!html) {
        fprintf(f, "%s: %s\n", text, url);
        return;
    }
    fputs("<a href=\"", f);
    put_html(f, url);
    fputs("\" style=\"display:inline-block;padding:6px 14px;margin:4px;border:1px solid #555;"
          "border-radius:4px;text-decoration:none\">",
          f);
    put_html(f, text);
    fputs("</a>\n", f);
}

/* An invitation's answers, one link each, in l's language. */
static void write_answers(FILE *f, const rem_text *t, const rem_lang_text *l, bool html)
{
    const char *urls[] = {t->accept_url, t->tentative_url, t->decline_url};
    static const char *const keys[] = {"accept", "tentative", "decline"};
    if (!t->accept_url || !t->tentative_url || !t->decline_url)
        return;
    fputs(html ? "<p>\n" : "", f);
    for (size_t i = 0; i < 3; i++)
        write_link(f, label(keys[i], l->lang), urls[i], html);
    fputs(html ? "</p>\n" : "\n", f);
}

static void write_lang(FILE *f, const rem_text *t, const rem_lang_text *l, bool html)
{
    put_fn put = html ? put_html : put_plain;
    const char *nl = html ? "<br>\n" : "\n";
    if (html)
        fprintf(f, "<div dir=\"%s\" lang=\"%s\">\n<h2>", strcmp(l->lang, "ar") == 0 ? "rtl" : "ltr",
                l->lang);
    put(f, l->title ? l->title : t->uid);
    fputs(html ? "</h2>\n" : "\n\n", f);
    if (strcmp(t->kind, "reminder") != 0) {
        put(f, label(t->kind, l->lang));
        fputs(nl, f);
        if (strcmp(t->kind, "invite") == 0)
            write_answers(f, t, l, html);
    } else if (says_lead(t)) {
        char ahead[160];
        rem_ahead(t->lead, l->lang, ahead, sizeof ahead);
        fprintf(f, "%s ", label("starts", l->lang));
        put(f, ahead);
        fputs(".", f);
        fputs(nl, f);
    }
    fprintf(f, "%s: ", label("when", l->lang));
    put(f, l->when ? l->when : "");
    fputs(nl, f);
    if (l->location) {
        fprintf(f, "%s: ", label("where", l->lang));
        put(f, l->location);
        fputs(nl, f);
    }
    if (l->n_agenda) {
        fprintf(f, "%s:%s", label("agenda", l->lang), nl);
        for (size_t i = 0; i < l->n_agenda; i++) {
            fputs("  ", f);
            put(f, l->agenda[i]);
            fputs(nl, f);
        }
    }
    if (t->url) {
        fprintf(f, "%s: ", label("link", l->lang));
        if (html) {
            fputs("<a href=\"", f);
            put_html(f, t->url);
            fputs("\">", f);
            put_html(f, t->url);
            fputs("</a>", f);
        } else {
            fputs(t->url, f);
        }
        fputs(nl, f);
    }
    fputs(html ? "</div>\n" : "\n", f);
}

static char *body(const rem_text *t, bool html)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    if (html)
        fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n", f);
    for (size_t i = 0; i < t->n_langs; i++) {
        if (i)
            fputs(html ? "<hr>\n" : "----\n\n", f);
        write_lang(f, t, &t->langs[i], html);
    }
    if (html)
        fputs("</body></html>\n", f);
    fclose(f);
    return s;
}

char *rem_body_text(const rem_text *t)
{
    return body(t, false);
}

char *rem_body_html(const rem_text *t)
{
    return body(t, true);
}
