/* Finding a time's interval sweeps: merging (overlapping, touching,
 * nested, unsorted), and free/busy periods where confirmed time wins over
 * tentative, each checked against a minute-by-minute brute force on
 * random intervals. */
#include "schedule_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_merge_cases(void **state)
{
    (void)state;
    ag_schedule_span v[] = {{50, 60}, {0, 10}, {10, 20}, {30, 40}, {32, 35}, {39, 45}, {70, 80}};
    size_t n = ag_schedule_merge(v, 7);
    assert_int_equal(n, 4);
    /* Touching spans join: a meeting can't fit in a gap of nothing. */
    assert_int_equal(v[0].start, 0);
    assert_int_equal(v[0].end, 20);
    assert_int_equal(v[1].start, 30);
    assert_int_equal(v[1].end, 45);
    assert_int_equal(v[2].start, 50);
    assert_int_equal(v[2].end, 60);
    assert_int_equal(v[3].start, 70);
    assert_int_equal(v[3].end, 80);
    assert_int_equal(ag_schedule_merge(v, 0), 0);
    assert_int_equal(ag_schedule_merge(v, 1), 1);
}

#define SPAN 600

static void mark(bool *minutes, const ag_schedule_span *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int64_t t = v[i].start; t < v[i].end; t++)
            minutes[t] = true;
}

static void random_busy(ag_schedule_busy *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t s = rand() % (SPAN - 1);
        int64_t e = s + 1 + rand() % 60;
        v[i] = (ag_schedule_busy){s, e > SPAN ? SPAN : e, -1, rand() % 3 == 0};
    }
}

static void check_sorted_disjoint(const ag_schedule_span *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(v[i].start < v[i].end);
        if (i)
            assert_true(v[i - 1].end < v[i].start);
    }
}

/* Busy: covered by a confirmed interval; tentative: covered by tentative
 * ones only. */
static void test_fb_periods_brute_force(void **state)
{
    (void)state;
    srand(13);
    for (int round = 0; round < 300; round++) {
        ag_schedule_busy v[40];
        size_t n = 1 + (size_t)(rand() % 40);
        random_busy(v, n);
        ag_schedule_span *b, *t;
        size_t nb, nt;
        assert_int_equal(ag_schedule_fb_periods(v, n, &b, &nb, &t, &nt), 0);
        check_sorted_disjoint(b, nb);
        check_sorted_disjoint(t, nt);
        bool want_b[SPAN] = {false}, want_t[SPAN] = {false}, got_b[SPAN] = {false},
             got_t[SPAN] = {false};
        for (size_t i = 0; i < n; i++)
            for (int64_t m = v[i].start; m < v[i].end; m++)
                (v[i].tentative ? want_t : want_b)[m] = true;
        for (int m = 0; m < SPAN; m++)
            want_t[m] = want_t[m] && !want_b[m];
        mark(got_b, b, nb);
        mark(got_t, t, nt);
        assert_memory_equal(want_b, got_b, sizeof want_b);
        assert_memory_equal(want_t, got_t, sizeof want_t);
        free(b);
        free(t);
    }
}

static void test_busy_sort(void **state)
{
    (void)state;
    ag_schedule_busy v[] = {{5, 9, 1, false}, {1, 4, -1, true}, {5, 7, 2, false}};
    ag_schedule_busy_sort(v, 3);
    assert_int_equal(v[0].start, 1);
    assert_int_equal(v[1].end, 7);
    assert_int_equal(v[2].end, 9);
}

/* Two sorted lists into one, as a member's sorted calendar and its
 * events are joined. */
static void test_busy_union(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 100; round++) {
        ag_schedule_busy a[30], b[30], out[60], all[60];
        size_t na = (size_t)(rand() % 30), nb = (size_t)(rand() % 30);
        random_busy(a, na);
        random_busy(b, nb);
        ag_schedule_busy_sort(a, na);
        ag_schedule_busy_sort(b, nb);
        ag_schedule_busy_union(a, na, b, nb, out);
        memcpy(all, a, na * sizeof *a);
        memcpy(all + na, b, nb * sizeof *b);
        ag_schedule_busy_sort(all, na + nb);
        for (size_t i = 0; i < na + nb; i++) {
            assert_int_equal(out[i].start, all[i].start);
            assert_int_equal(out[i].end, all[i].end);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_cases),
        cmocka_unit_test(test_fb_periods_brute_force),
        cmocka_unit_test(test_busy_sort),
        cmocka_unit_test(test_busy_union),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
