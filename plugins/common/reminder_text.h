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
    const char *kind; /* "reminder", "cancel", "change" */
    const char *uid, *url, *id, *address, *member;
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
/* Subject line: "<prefix> <title>" per language, joined with " | ". */
char *rem_subject(const rem_text *t);
/* Plain text and HTML (dir="rtl" on Arabic) bodies; malloc'd. */
char *rem_body_text(const rem_text *t);
char *rem_body_html(const rem_text *t);
/* "1 day", "2 h" style lead in lang; static-ish buffer given by the caller. */
void rem_lead(int64_t lead, const char *lang, char *buf, size_t size);

#endif
