/* Schema step 10 in the store: the events' stored-only flags move no
 * SEQUENCE, their documents do and come back whole; the invitations API;
 * and a database of schema 9 migrates with its outbox rows kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "raw_sql.h"

#include "error.h"
#include "store.h"
#include "store_invitations.h"
#include "store_outbox.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T1 INT64_C(1767225600) /* 2026-01-01T00:00Z */

typedef struct {
    char dir[64], path[96];
    ag_store *st;
    ag_config cfg;
    ag_event ev;
} fx;

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void make_event(ag_event *e)
{
    memset(e, 0, sizeof *e);
    e->uid = sdup("ev-1");
    e->title = (ag_text){sdup("ورشة"), sdup("Atelier")};
    e->start = (ag_datetime){2026, 4, 10, 9, 0, 0, false};
    e->end = (ag_datetime){2026, 4, 10, 12, 0, 0, false};
    e->tzid = sdup("Africa/Casablanca");
    e->host = sdup("fes");
}

static void add_document(ag_event *e, ag_document_kind kind, const char *url, const char *file)
{
    e->documents = realloc(e->documents, (e->n_documents + 1) * sizeof *e->documents);
    ag_document *d = &e->documents[e->n_documents++];
    memset(d, 0, sizeof *d);
    d->title = (ag_text){sdup("محضر"), sdup("Compte rendu")};
    d->kind = kind;
    d->published = (ag_datetime){2026, 4, 20, 0, 0, 0, true};
    d->url = sdup(url);
    d->file = sdup(file);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-inv-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/agendad.db", f->dir);
    char *err = NULL;
    if (ag_store_open(f->path, &f->st, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    make_event(&f->ev);
    f->cfg.events = &f->ev;
    f->cfg.n_events = 1;
    f->cfg.settings.retention = 30 * 86400;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    ag_event_free(&f->ev);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static ag_reconcile_stats reconcile(fx *f, int64_t now)
{
    ag_reconcile_stats s;
    char *err = NULL;
    int rc = ag_store_reconcile(f->st, &f->cfg, now, &s, &err);
    if (rc != 0)
        fail_msg("reconcile: %s", err);
    return s;
}

/* The one stored event; caller frees. */
static ag_stored_event *stored(fx *f)
{
    ag_stored_event *v = NULL;
    size_t n = 0;
    char *err = NULL;
    if (ag_store_load_events(f->st, &v, &n, &err) != 0)
        fail_msg("load: %s", err);
    assert_int_equal(n, 1);
    return v;
}

static void flags_move_no_sequence(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    int64_t gen = ag_store_generation(f->st);
    f->ev.invitations = true;
    ag_reconcile_stats s = reconcile(f, T1 + 60);
    assert_int_equal(s.unchanged, 1);
    assert_int_equal(s.flagged, 1);
    assert_true(ag_store_generation(f->st) > gen);
    ag_stored_event *se = stored(f);
    assert_true(se->ev.invitations);
    assert_false(se->ev.publish_attendance);
    assert_int_equal(se->sequence, 0);
    assert_int_equal(se->last_modified, T1);
    ag_store_events_free(se, 1);
    /* Unchanged again: nothing written, not even the generation. */
    gen = ag_store_generation(f->st);
    s = reconcile(f, T1 + 120);
    assert_int_equal(s.flagged, 0);
    assert_int_equal(ag_store_generation(f->st), gen);
    /* Off again, the other one on, with a content change: both kept. */
    f->ev.invitations = false;
    f->ev.publish_attendance = true;
    free(f->ev.title.fr);
    f->ev.title.fr = sdup("Atelier de co-création");
    s = reconcile(f, T1 + 180);
    assert_int_equal(s.changed, 1);
    se = stored(f);
    assert_false(se->ev.invitations);
    assert_true(se->ev.publish_attendance);
    assert_int_equal(se->sequence, 1);
    ag_store_events_free(se, 1);
}

static void documents_round_trip_and_move_sequence(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    add_document(&f->ev, AG_DOC_MINUTES, NULL, "2026/cr.pdf");
    add_document(&f->ev, AG_DOC_AGENDA, "https://fes.example.org/odj.pdf", NULL);
    ag_reconcile_stats s = reconcile(f, T1 + 60);
    assert_int_equal(s.changed, 1);
    ag_stored_event *se = stored(f);
    assert_int_equal(se->sequence, 1);
    assert_int_equal(se->ev.n_documents, 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(ag_document_equal(&se->ev.documents[i], &f->ev.documents[i]));
    assert_true(ag_event_equal(&se->ev, &f->ev));
    ag_store_events_free(se, 1);
    assert_int_equal(reconcile(f, T1 + 120).unchanged, 1);
    /* A document's kind is content too. */
    f->ev.documents[1].kind = AG_DOC_REPORT;
    assert_int_equal(reconcile(f, T1 + 180).changed, 1);
    se = stored(f);
    assert_int_equal(se->sequence, 2);
    assert_int_equal(se->ev.documents[1].kind, AG_DOC_REPORT);
    ag_store_events_free(se, 1);
}

static void invitations_api(void **state)
{
    fx *f = *state;
    char *err = NULL;
    ag_invitation iv = {.uid = "ev-1",
                        .address = "Fes@Members.Test",
                        .member = "fes",
                        .lang = "ar",
                        .sequence = 2,
                        .created = T1};
    int64_t id = 0, id2 = 0;
    assert_int_equal(ag_store_invitation_add(f->st, &iv, &id, &err), 0);
    assert_true(id > 0);
    assert_int_equal(ag_store_invitation_add(f->st, &iv, NULL, &err), AG_EEXIST);
    free(err);
    err = NULL;
    ag_invitation extra = {
        .uid = "ev-1", .address = "guest@example.org", .sequence = 2, .created = T1};
    assert_int_equal(ag_store_invitation_add(f->st, &extra, &id2, &err), 0);
    ag_invitation got;
    bool found = false;
    assert_int_equal(
        ag_store_invitation_find(f->st, "ev-1", "FES@members.test", &got, &found, &err), 0);
    assert_true(found);
    assert_int_equal(got.id, id);
    assert_string_equal(got.address, "fes@members.test");
    assert_string_equal(got.member, "fes");
    assert_string_equal(got.lang, "ar");
    assert_int_equal(got.sequence, 2);
    assert_false(got.cancelled);
    ag_invitation_clear(&got);
    assert_int_equal(ag_store_invitation_set(f->st, id, 5, true, &err), 0);
    assert_int_equal(ag_store_invitation_get(f->st, id, &got, &found, &err), 0);
    assert_true(found);
    assert_int_equal(got.sequence, 5);
    assert_true(got.cancelled);
    ag_invitation_clear(&got);
    assert_int_equal(ag_store_invitation_get(f->st, id + id2 + 10, &got, &found, &err), 0);
    assert_false(found);
    ag_invitation *all = NULL;
    size_t n = 0;
    assert_int_equal(ag_store_invitations_of(f->st, "ev-1", &all, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_null(all[0].member); /* NULL sorts first: the extra address */
    assert_string_equal(all[1].member, "fes");
    ag_store_invitations_free(all, n);
    assert_int_equal(ag_store_invitations_of(f->st, "other", &all, &n, &err), 0);
    assert_int_equal(n, 0);
    char *fp = NULL;
    int seq = -1;
    assert_int_equal(ag_store_invitation_state_get(f->st, "ev-1", &fp, &seq, &err), 0);
    assert_null(fp);
    assert_int_equal(ag_store_invitation_state_set(f->st, "ev-1", "a|b", 3, &err), 0);
    assert_int_equal(ag_store_invitation_state_set(f->st, "ev-1", "a|c", 4, &err), 0);
    assert_int_equal(ag_store_invitation_state_get(f->st, "ev-1", &fp, &seq, &err), 0);
    assert_string_equal(fp, "a|c");
    assert_int_equal(seq, 4);
    free(fp);
}

/* A database of schema 9 with an outbox row: migrated, the row kept, the
 * new kinds accepted, the events' flags off and no documents. */
static void schema_9_database_migrates(void **state)
{
    fx *f = *state;
    reconcile(f, T1);
    ag_outbox_row r = {.kind = AG_OUT_REMINDER,
                       .uid = "ev-1",
                       .occurrence = T1 + 86400,
                       .lead = 3600,
                       .channel = "email",
                       .member = "fes",
                       .address = "fes@members.test",
                       .due = T1 + 82800,
                       .state = AG_OUT_PENDING,
                       .next_attempt = T1 + 82800};
    char *err = NULL;
    assert_int_equal(ag_store_outbox_insert(f->st, &r, T1, NULL, &err), 0);
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path, RAW_SQL_UNDO_RSVP RAW_SQL_UNDO_INVITATIONS "PRAGMA user_version = 9;");
    assert_int_equal(ag_store_open(f->path, &f->st, &err), 0);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    ag_outbox_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(ag_store_outbox_list(f->st, AG_OUT_ANY_, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].kind, AG_OUT_REMINDER);
    assert_string_equal(rows[0].address, "fes@members.test");
    ag_store_outbox_rows_free(rows, n);
    for (ag_outbox_kind k = AG_OUT_INVITE; k <= AG_OUT_MINUTES; k++) {
        r.kind = k;
        bool added = false;
        assert_int_equal(ag_store_outbox_insert(f->st, &r, T1, &added, &err), 0);
        assert_true(added);
    }
    assert_int_equal(ag_store_outbox_list(f->st, AG_OUT_ANY_, &rows, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(ag_store_outbox_kind_name(rows[1].kind), "invite");
    assert_string_equal(ag_store_outbox_kind_name(rows[2].kind), "invite-cancel");
    assert_string_equal(ag_store_outbox_kind_name(rows[3].kind), "minutes");
    ag_store_outbox_rows_free(rows, n);
    ag_stored_event *se = stored(f);
    assert_false(se->ev.invitations);
    assert_int_equal(se->ev.n_documents, 0);
    ag_store_events_free(se, 1);
    assert_int_equal(reconcile(f, T1 + 60).unchanged, 1);
}

int main(void)
{
    if (ag_tz_init() < 0)
        return 1;
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(flags_move_no_sequence),
        T(documents_round_trip_and_move_sequence),
        T(invitations_api),
        T(schema_9_database_migrates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
