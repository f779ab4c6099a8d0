/* The agenda plugin's reading order (plugins/agenda/agenda_model.h), and
 * the core's refusal of overlapping slots in a sample-like configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agenda_model.h"
#include "config.h"
#include "error.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H 3600

static void order(const agenda_item *items, size_t n, int32_t first_day, agenda_row *rows)
{
    agenda_order(items, n, first_day, rows);
}

static void assert_items(const agenda_row *rows, const size_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].item, want[i]);
}

/* The press kit's agenda: untimed items stay after the timed item they
 * follow, and the whole is read in the admin's order. */
static void press_kit_order_is_kept(void **state)
{
    (void)state;
    agenda_item items[] = {
        {true, 9 * H, 1},        {false, 0, 0},           {true, 10 * H, 1},
        {false, 0, 0},           {true, 11 * H + 600, 1}, {true, 11 * H + 2400, 1},
        {true, 12 * H + 600, 1},
    };
    agenda_row rows[7];
    order(items, 7, 1, rows);
    size_t want[] = {0, 1, 2, 3, 4, 5, 6};
    assert_items(rows, want, 7);
    assert_int_equal(agenda_day_count(rows, 7), 1);
    assert_true(rows[0].new_day);
    for (size_t i = 1; i < 7; i++)
        assert_false(rows[i].new_day);
}

/* Timed items written out of order are read by time; each untimed item
 * moves with the timed item it was written after. */
static void timed_items_sorted_untimed_follow(void **state)
{
    (void)state;
    agenda_item items[] = {
        {true, 11 * H, 1}, /* 0 */
        {false, 0, 0},     /* 1: after 0 */
        {true, 9 * H, 1},  /* 2 */
        {false, 0, 0},     /* 3: after 2 */
        {false, 0, 0},     /* 4: after 2 */
        {true, 10 * H, 1}, /* 5 */
    };
    agenda_row rows[6];
    order(items, 6, 1, rows);
    size_t want[] = {2, 3, 4, 5, 0, 1};
    assert_items(rows, want, 6);
}

static void leading_untimed_first_and_ties_stable(void **state)
{
    (void)state;
    agenda_item items[] = {
        {false, 0, 0},     /* 0: before any timed item */
        {true, 10 * H, 1}, /* 1 */
        {true, 10 * H, 1}, /* 2: same start: admin's order */
        {true, 9 * H, 1},  /* 3 */
    };
    agenda_row rows[4];
    order(items, 4, 1, rows);
    size_t want[] = {0, 3, 1, 2};
    assert_items(rows, want, 4);
    assert_int_equal(rows[0].day, 1);
}

/* A two-day event: rows are cut into days; an untimed item belongs to the
 * day of the item it follows; leading untimed items to the first day. */
static void multi_day_rows_grouped_by_day(void **state)
{
    (void)state;
    agenda_item items[] = {
        {false, 0, 0},                    /* 0 */
        {true, 9 * H, 20270310},          /* 1 */
        {true, 24 * H + 9 * H, 20270311}, /* 2 */
        {false, 0, 0},                    /* 3: day 2 */
        {true, 14 * H, 20270310},         /* 4 */
        {false, 0, 0},                    /* 5: day 1 */
    };
    agenda_row rows[6];
    order(items, 6, 20270310, rows);
    size_t want[] = {0, 1, 4, 5, 2, 3};
    assert_items(rows, want, 6);
    int32_t days[] = {20270310, 20270310, 20270310, 20270310, 20270311, 20270311};
    bool new_day[] = {true, false, false, false, true, false};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(rows[i].day, days[i]);
        assert_int_equal(rows[i].new_day, new_day[i]);
    }
    assert_int_equal(agenda_day_count(rows, 6), 2);
}

static void only_untimed_items(void **state)
{
    (void)state;
    agenda_item items[] = {{false, 0, 0}, {false, 0, 0}};
    agenda_row rows[2];
    order(items, 2, 7, rows);
    size_t want[] = {0, 1};
    assert_items(rows, want, 2);
    assert_int_equal(agenda_day_count(rows, 2), 1);
    agenda_order(items, 0, 7, rows); /* nothing to do, nothing touched */
}

/* ------------------------------------------- overlap in the sample config */

static char *sample_copy(void)
{
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    assert_non_null(src);
    char tmpl[] = "/tmp/agenda-model-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp -r '%s/config' '%s/config'", src, tmpl);
    assert_int_equal(system(cmd), 0);
    char *dir = malloc(strlen(tmpl) + 8);
    sprintf(dir, "%s/config", tmpl);
    return dir;
}

static void replace_in_file(const char *path, const char *from, const char *to)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    char *at = strstr(text, from);
    assert_non_null(at);
    f = fopen(path, "wb");
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
}

/* The workshop's tea break moved to 12:00 overlaps the 11:40-12:10 workshop:
 * the config is refused with the break's own position. */
static void sample_overlap_is_a_config_error(void **state)
{
    (void)state;
    char *dir = sample_copy();
    char path[4200];
    snprintf(path, sizeof path, "%s/events/2023-03-07-fes-meknes-cocreation-workshop.yaml", dir);
    replace_in_file(path, "  - start: \"12:10\"\n    end: \"12:30\"",
                    "  - start: \"12:00\"\n    end: \"12:30\"");
    ag_config *cfg = NULL;
    ag_diags diags = {0};
    ag_tz_init();
    assert_int_equal(ag_config_load(dir, &cfg, &diags), AG_ECONFIG);
    ag_tz_shutdown();
    assert_null(cfg);
    bool found = false;
    for (size_t i = 0; i < diags.n; i++)
        if (strstr(diags.v[i].msg, "overlaps") && strstr(diags.v[i].file, "fes-meknes-cocreation"))
            found = strstr(diags.v[i].msg, "12:00") != NULL && diags.v[i].line > 0;
    assert_true(found);
    ag_diags_free(&diags);
    char cmd[4300];
    *strrchr(dir, '/') = '\0'; /* the temporary directory holding config/ */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(press_kit_order_is_kept),
        cmocka_unit_test(timed_items_sorted_untimed_follow),
        cmocka_unit_test(leading_untimed_first_and_ties_stable),
        cmocka_unit_test(multi_day_rows_grouped_by_day),
        cmocka_unit_test(only_untimed_items),
        cmocka_unit_test(sample_overlap_is_a_config_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
