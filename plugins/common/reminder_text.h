/* What a reminder says, gathered once from the host: the event's title,
 * place, local time and agenda in each language a recipient reads. */
#ifndef AGENDAD_REMINDER_TEXT_H
#define AGENDAD_REMINDER_TEXT_H

#include <agendad/plugin.h>

typedef struct {
    const char *lang; /* "ar" or "fr" */
    char *title, *location, *description;
    char *when;    /* "2026-03-07 09:30–17:00 (Africa/Casablanca)" */
    char **agenda; /* "09:30 title" lines */
    size_t n_agenda;
} rem_lang_text;

typedef struct {
    const char *kind; /* "reminder", "cancel", "change", "invite", "invite-cancel", "minutes" */
    const char *uid, *url, *id, *address, *member;
    /* An invitation's one-click links (NULL otherwise, or from a host
     * before they existed). */
    const char *accept_url, *tentative_url, *decline_url;
    int sequence;
    int64_t occurrence, occurrence_end, lead;
    const char *tzid;
    bool all_day;
    rem_lang_text langs[2]; /* the recipient's first */
    size_t n_langs;
} rem_text;

/* Fills t from the host for r. 0, or an AGENDAD_E* code (event gone). */
int rem_text_load(const agendad_host *h, agendad_plugin *self, const agendad_reminder *r,
                  rem_text *t);
void rem_text_free(rem_text *t);

/* "YYYY-MM-DD HH:MM" of instant in zone tzid (date only when all_day);
 * malloc'd. */
char *rem_local_time(int64_t instant, const char *tzid, bool all_day);
/* Subject line per language, joined with " | ": "<prefix> <title>", and for
 * a reminder the lead: "تذكير، بعد يوم واحد: <title>", "Rappel, dans 1
 * jour : <title>". malloc'd. */
char *rem_subject(const rem_text *t);
/* Plain text and HTML (dir="rtl" on Arabic) bodies, a reminder's lead on
 * the line under the title; malloc'd. */
char *rem_body_text(const rem_text *t);
char *rem_body_html(const rem_text *t);
/* A lead time in words, in lang ("ar", else French), into buf (cut at a
 * character's boundary when it does not fit):
 *   "1 jour", "2 jours", "1 heure", "30 minutes";
 *   "يوم واحد", "يومين", "3 أيام", "11 يومًا", "100 يوم" (and so for ساعة
 *   and دقيقة), Arabic's number agreement as Unicode CLDR's plural rules.
 * The largest unit of the lead is said, with the next smaller one when it
 * is not zero: 1d12h is "1 jour et 12 heures" / "يوم واحد و12 ساعة", 2h30m
 * "2 heures et 30 minutes"; what is smaller still is dropped: 1d12h30m says
 * the days and hours, 1d30m "1 jour". Under a minute: "moins d'une minute"
 * / "أقل من دقيقة". */
void rem_lead(int64_t lead, const char *lang, char *buf, size_t size);
/* The same with "dans" / "بعد" before it: "dans 1 jour", "بعد يوم واحد". */
void rem_ahead(int64_t lead, const char *lang, char *buf, size_t size);

#endif
