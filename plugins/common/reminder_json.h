/* The JSON form of a reminder, shared by the webhook body and the command's
 * stdin (documented in doc/admin.md, "Channels"). */
#ifndef AGENDAD_REMINDER_JSON_H
#define AGENDAD_REMINDER_JSON_H

#include "reminder_text.h"

#include <stddef.h>

/* Compact UTF-8 JSON, malloc'd (free with free). NULL when out of memory. */
char *rem_json(const rem_text *t, const char *language, bool both_languages);
/* "2026-03-07T09:30:00Z". */
void rem_iso_utc(int64_t t, char *buf, size_t size);

#endif
