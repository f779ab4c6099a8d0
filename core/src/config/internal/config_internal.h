/* Shared by the config_*.c files only: the YAML reader, typed accessors that
 * report errors at the node they read, and the per-file loaders. Every
 * accessor adds a diagnostic and returns false on a bad value, so that a
 * loader can carry on and report every error in one run. */
#ifndef AGENDAD_CONFIG_INTERNAL_H
#define AGENDAD_CONFIG_INTERNAL_H

#include "config.h"
#include "error.h"

#include <stdbool.h>
#include <stdint.h>

#define AG_CFG_MAX_FILE_BYTES (4u << 20)
#define AG_CFG_MAX_DEPTH 64
#define AG_CFG_MAX_REMINDERS 10

/* config_yaml.c: reads one file into a tree. Returns NULL when the file
 * cannot be read or is not acceptable YAML (diagnostics added). An empty
 * file gives an AG_CFG_SCALAR "" node. */
ag_config_node *ag_config_read_file(const char *path, ag_diags *d);
/* The same, adding the file's bytes under name to h (when not NULL). */
ag_config_node *ag_config_read_file_hashed(const char *path, ag_diags *d, ag_config_hash *h,
                                           const char *name);
/* Adds the file's bytes under name to h without parsing; false when it
 * cannot be read (or is larger than the loader takes). */
bool ag_config_hash_file(ag_config_hash *h, const char *path, const char *name);

/* config_fingerprint.c */
void ag_config_hash_init(ag_config_hash *h);
void ag_config_hash_add(ag_config_hash *h, const char *name, const unsigned char *buf, size_t len);
char *ag_config_hash_string(const ag_config_hash *h); /* malloc'd; NULL on out of memory */

/* config_check.c: diagnostics and typed accessors. */
void ag_config_err(ag_diags *d, const ag_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *ag_config_kind_name(const ag_config_node *n);
bool ag_config_is_null(const ag_config_node *n);
/* Checks n is a map whose keys are all in allowed (NULL-terminated). */
bool ag_config_check_keys(ag_diags *d, const ag_config_node *n, const char *const *allowed,
                          const char *what);
/* The value of a required key, or NULL after reporting it missing. */
const ag_config_node *ag_config_require(ag_diags *d, const ag_config_node *map, const char *key,
                                        const char *what);
bool ag_config_scalar(ag_diags *d, const ag_config_node *n, const char *what);
/* Whether n is a value ag_config_scalar takes, without a word: a list's
 * items that are are checked further even when another is not. */
bool ag_config_is_text(const ag_config_node *n);
bool ag_config_string(ag_diags *d, const ag_config_node *n, const char *what, char **out);
bool ag_config_text(ag_diags *d, const ag_config_node *n, const char *what, ag_text *out);
bool ag_config_id(ag_diags *d, const ag_config_node *n, const char *what, char **out);
bool ag_config_bool(ag_diags *d, const ag_config_node *n, const char *what, bool *out);
bool ag_config_int(ag_diags *d, const ag_config_node *n, const char *what, long min, long max,
                   long *out);
bool ag_config_duration(ag_diags *d, const ag_config_node *n, const char *what, int64_t *out);
bool ag_config_datetime(ag_diags *d, const ag_config_node *n, const char *what, ag_datetime *out);
bool ag_config_seq(ag_diags *d, const ag_config_node *n, const char *what);
/* A list of scalars; each must pass check when given. */
bool ag_config_string_list(ag_diags *d, const ag_config_node *n, const char *what, char ***out,
                           size_t *n_out);
/* One of choices (NULL-terminated); *index set to its position. */
bool ag_config_choice(ag_diags *d, const ag_config_node *n, const char *what,
                      const char *const *choices, int *index);
/* A copy of l (its file name duplicated); out of memory is reported. */
ag_loc ag_config_loc_copy(ag_diags *d, const ag_loc *l);
/* Out of memory while reading what is at loc ("this event"): reported like
 * any error, so that the load fails rather than go on with a part of the
 * config missing. */
void ag_config_oom(ag_diags *d, const ag_loc *loc, const char *what);
void ag_config_free_strv(char **v, size_t n);

/* config_values.c */
typedef enum {
    AG_DT_OK,
    AG_DT_SYNTAX,
    AG_DT_BAD_DATE,
    AG_DT_BAD_TIME,
    AG_DT_HAS_ZONE,
} ag_dt_result;
ag_dt_result ag_config_parse_datetime(const char *s, ag_datetime *out);
/* "HH:MM" or "HH:MM:SS": 0, AG_EINVAL when not that shape, 1 when of that
 * shape but out of range. */
int ag_config_parse_clock(const char *s, int *h, int *m, int *sec);
bool ag_config_valid_id(const char *s);
bool ag_config_valid_uid(const char *s);
/* The candidate closest to word, if close enough to be a likely typo. */
const char *ag_config_suggest(const char *word, const char *const *cands, size_t n);
/* The text among texts (NULL ones skipped) that word is likely meant for
 * when it is no typo of an id: close to the whole text or to one of its
 * words, letters compared in lowercase without French accents
 * ("formation" for a category named "Formations", "participation" for
 * citizen-participation). Its index, or -1; the first of equals wins. */
long ag_config_suggest_word(const char *word, const char *const *texts, size_t n);
/* "2023-03-07 09:30" or "2023-03-07" for messages. */
void ag_config_format_dt(const ag_datetime *t, char *buf, size_t size);
/* While an event loads, its start is left zero (year 0, which no date has)
 * when it could not be read, and its end when it could not be read or does
 * not fit the start; an agenda time "HH:MM" of an event whose start is
 * unknown falls on that zero day. The parts of the event that need them
 * skip the checks that would only repeat that error (doc/admin.md, "What
 * check reports"). */
static inline bool ag_config_dt_known(const ag_datetime *t)
{
    return t->year != 0;
}

/* config_rejected.c: the entries a load left out for errors of their own,
 * by the id they were written with (cfg->rejected). A reference to one is
 * not reported again; a duplicate of one is. */
typedef enum { AG_REJECTED_MEMBER, AG_REJECTED_CATEGORY, AG_REJECTED_EVENT } ag_rejected_kind;
/* Records id (copied). member_kind: a member's ag_member_kind, or -1 when it
 * could not be read; loc: where the entry is written (kept for events).
 * Out of memory is reported at loc. */
void ag_config_reject(ag_config *cfg, ag_rejected_kind what, const char *id, int member_kind,
                      const ag_loc *loc, ag_diags *d);
/* The whole list of that kind could not be read (its file, or the list in
 * it): every id is then taken as left out, kind unknown. loc: for out of
 * memory. */
void ag_config_reject_all(ag_config *cfg, ag_rejected_kind what, const ag_loc *loc, ag_diags *d);
/* Whether an entry of that kind with that id was left out; *member_kind
 * (when not NULL) is then set as recorded. */
bool ag_config_rejected_find(const ag_config *cfg, ag_rejected_kind what, const char *id,
                             int *member_kind);
/* The count of those of that kind; their ids and locations (borrowed: valid
 * while cfg is) go into ids and locs when not NULL, room for the count. */
size_t ag_config_rejected_ids(const ag_config *cfg, ag_rejected_kind what, const char **ids,
                              const ag_loc **locs);
void ag_config_rejected_free(ag_config_rejected *r);

/* Loaders: each fills its part of cfg and reports problems in d. */
void ag_config_load_settings(ag_config *cfg, const ag_config_node *root, ag_diags *d);
/* Sections of agendad.yaml (config_sections.c, config_plugins.c). */
void ag_config_load_feeds(ag_settings *s, const ag_config_node *n, ag_diags *d);
void ag_config_load_http(ag_settings *s, const ag_config_node *n, ag_diags *d);
/* The access keys of the http: section (config_access.c). */
void ag_config_load_http_access(ag_settings *s, const ag_config_node *http, ag_diags *d);
void ag_config_load_plugins(ag_settings *s, const ag_config_node *n, ag_diags *d);
/* config_reminders.c; false on out of memory. */
bool ag_config_reminder_defaults(ag_reminder_settings *r);
void ag_config_load_reminders(ag_settings *s, const ag_config_node *n, ag_diags *d);
void ag_config_reminder_settings_free(ag_reminder_settings *r);
/* config_invitations.c: `invitations:` and `documents:` of agendad.yaml;
 * the defaults are false on out of memory. */
bool ag_config_invitation_defaults(ag_settings *s);
void ag_config_load_invitations(ag_settings *s, const ag_config_node *n, ag_diags *d);
void ag_config_load_documents(ag_settings *s, const ag_config_node *n, ag_diags *d);
/* config_documents.c: an event's `documents:` list. */
void ag_config_load_event_documents(const ag_config *cfg, ag_event *ev, const ag_config_node *n,
                                    ag_diags *d);
void ag_config_load_categories(ag_config *cfg, const ag_config_node *root, ag_diags *d);
void ag_config_load_members(ag_config *cfg, const ag_config_node *root, ag_diags *d);
/* A member's `sync:` section (n may be NULL: defaults); config_sync.c. */
void ag_config_load_member_sync(const ag_config *cfg, ag_member *m, const ag_config_node *n,
                                ag_diags *d);
/* Whether url (the value of n, named what) is an http:// or https:// URL
 * with a host (RFC 3986 syntax); reports why not. */
bool ag_config_http_url(ag_diags *d, const ag_config_node *n, const char *what, const char *url);
/* Appends the events of one file's tree to cfg->events (unsorted). */
void ag_config_load_event_list(ag_config *cfg, const ag_config_node *root, ag_diags *d);
/* Parts of an event (config_slots.c, config_recur.c). */
void ag_config_load_slots(const ag_config *cfg, ag_event *ev, const ag_config_node *n, ag_diags *d);
void ag_config_load_recurrence(ag_event *ev, const ag_config_node *n, ag_diags *d);
/* Reports n (a scalar) when it names no category. */
void ag_config_check_category(const ag_config *cfg, const ag_config_node *n, ag_diags *d);
/* Reports a reference to something absent, with a suggestion. */
void ag_config_unknown_ref(ag_diags *d, const ag_config_node *n, const char *what,
                           const char *const *cands, size_t n_cands);
/* The same with the suggestion given (NULL: none). */
void ag_config_unknown_guess(ag_diags *d, const ag_config_node *n, const char *what,
                             const char *guess);

#endif
