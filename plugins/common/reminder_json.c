#include "reminder_json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rem_iso_utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *per_lang(const rem_text *t, size_t field)
{
    json_t *o = json_object();
    for (size_t i = 0; i < t->n_langs; i++) {
        const rem_lang_text *l = &t->langs[i];
        const char *v = field == 0 ? l->title : field == 1 ? l->location : l->description;
        json_object_set_new(o, l->lang, str_or_null(v));
    }
    return o;
}

static json_t *event_json(const rem_text *t)
{
    char start[32], end[32];
    rem_iso_utc(t->occurrence, start, sizeof start);
    rem_iso_utc(t->occurrence_end, end, sizeof end);
    return json_pack("{s:s, s:o, s:o, s:o, s:s, s:s, s:s?, s:b, s:i}", "uid", t->uid, "title",
                     per_lang(t, 0), "location", per_lang(t, 1), "description", per_lang(t, 2),
                     "start", start, "end", end, "timezone", t->tzid, "all_day", t->all_day,
                     "sequence", t->sequence);
}

char *rem_json(const rem_text *t, const char *language, bool both_languages)
{
    char occ[32];
    rem_iso_utc(t->occurrence, occ, sizeof occ);
    json_t *root =
        json_pack("{s:s?, s:s, s:o, s:s, s:I, s:I, s:{s:s?, s:s?, s:s?, s:b}, s:{s:s?}}", "id",
                  t->id, "kind", t->kind, "event", event_json(t), "occurrence", occ,
                  "occurrence_unix", (json_int_t)t->occurrence, "lead_seconds", (json_int_t)t->lead,
                  "recipient", "member", t->member, "address", t->address, "language", language,
                  "both_languages", both_languages, "urls", "ics", t->url);
    if (!root)
        return NULL;
    char *s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return s;
}
