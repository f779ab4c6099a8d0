/* Events submitted by event sources (members' own calendars, pulled by a
 * plugin) on their way into the store and the feeds: their uids are
 * namespaced by member, their categories matched against the configured
 * ones, and stored rows become events the feed builder publishes like the
 * network's own, marked with the member they come from. */
#ifndef AGENDAD_SERVICE_IMPORTS_H
#define AGENDAD_SERVICE_IMPORTS_H

#include "agendad/plugin.h"
#include "config.h"
#include "error.h"
#include "store.h"

/* "<member>:<source uid>", with every byte outside [A-Za-z0-9._@-] written
 * as ~XX, so that no member can reach another's or the network's uids (which
 * never contain ':' or '~') and the uid stays one URL path segment. A source
 * uid too long for that is replaced by its SHA-256. malloc'd, NULL on OOM. */
char *ag_service_import_uid(const char *member, const char *source_uid);

/* Fills *out from ev for member; categories: the configured ids ev names
 * (by id or by name in either language, case-insensitively), in cfg order.
 * 0, or AG_ENOMEM, or AG_EINVAL for an attendee without an address or an
 * alarm without an action (*out left empty). */
int ag_service_import_row_from_source(const ag_config *cfg, const char *member,
                                      const agendad_source_event *ev, ag_import_row *out);

/* The events feeds publish for stored rows: UTC instants as wall-clock
 * times in "UTC", host the member, imported_from set. 0 or AG_ENOMEM. */
int ag_service_import_rows_to_events(const ag_import_row *rows, size_t n, ag_stored_event **out);
/* The same into out (n zeroed events), for a caller that converts a batch
 * a part at a time. AG_ENOMEM: out holds what was made, for
 * ag_store_events_free. */
int ag_service_import_rows_convert(const ag_import_row *rows, size_t n, ag_stored_event *out);

/* Replaces, in *all (n_all events sorted by uid), the events imported from
 * member by fresh (n_fresh events sorted by uid, all member's; taken over,
 * the array freed). A member's uids share the prefix "<member>:", so its
 * events are one run in uid order: the others are moved, not rebuilt,
 * which keeps a pull of one member from costing a reload of every member's
 * events. 0, or AG_ENOMEM (nothing changed, fresh freed). */
int ag_service_imports_splice(ag_stored_event **all, size_t *n_all, const char *member,
                              ag_stored_event *fresh, size_t n_fresh);

/* The member's run in all (n events sorted by uid): [*lo, *hi). false on
 * out of memory. */
bool ag_service_imports_member_run(const ag_stored_event *all, size_t n, const char *member,
                                   size_t *lo, size_t *hi);

/* Replaces, in *view (*n_view shallow copies sorted by uid, such as the
 * feeds' merge of the network's and the imported events), the member's run
 * [lo, hi) by shallow copies of fresh: the same in-place move as
 * ag_service_imports_splice, for an array that owns nothing. The run is found
 * (ag_service_imports_member_run) before the events it copies are freed: its uids
 * are not read here. Network uids never contain ':', so the member's
 * imported events are one run there too. 0, or AG_ENOMEM (nothing
 * changed). */
int ag_service_imports_splice_view(ag_stored_event **view, size_t *n_view, size_t lo, size_t hi,
                                   const ag_stored_event *fresh, size_t n_fresh);

/* Frees what n events own, not the array they sit in. */
void ag_service_imports_free_contents(ag_stored_event *v, size_t n);

/* A copy of an array with member's run replaced by fresh, made a part at a
 * time into a new array (dst), so that a large array is rebuilt over
 * several loop turns while readers keep the old one: the in-place splice
 * of a 66,000-event array moves megabytes in one turn. src and fresh must
 * not change until the copy is over. */
typedef struct {
    ag_stored_event *v;
    size_t cap;
} ag_event_buf;

typedef struct {
    const ag_stored_event *src, *fresh;
    size_t n_src, lo, hi, n_fresh;
    ag_stored_event *dst; /* malloc'd (cap events); the caller takes it when done */
    size_t n_dst, cap, done;
} ag_run_copy;

/* dst is taken from spare (which is left empty) when it is large enough,
 * else allocated with room to grow: a fresh array per import is paid for
 * in page faults. 0, or AG_ENOMEM (nothing to free). */
int ag_service_run_copy_start(ag_run_copy *c, const ag_stored_event *src, size_t n_src,
                              const char *member, const ag_stored_event *fresh, size_t n_fresh,
                              ag_event_buf *spare);
/* Copies up to max more events; true when dst is complete. */
bool ag_service_run_copy_step(ag_run_copy *c, size_t max);

/* Which feeds replacing member's run old by fresh (both sorted by uid)
 * changes. An event counts when it appears, goes, or was stored again (its
 * SEQUENCE, LAST-MODIFIED or removal moved: every write moves one). For
 * those, *network: one is let into the network feed, either before or
 * after; categories[i] (cfg->n_categories of them, set by the caller): one
 * is in cfg->categories[i]. Returns whether any event counts. */
bool ag_service_imports_touched(const ag_config *cfg, const ag_stored_event *old, size_t n_old,
                                const ag_stored_event *fresh, size_t n_fresh, bool *network,
                                bool *categories);

/* Whether the admin lets an event imported from its member into the network
 * feed (members.yaml sync.network / sync.network_categories), and whether it
 * is in category id (its own categories or the member's sync.categories). */

#endif
