#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ag_blob *blob_of(const char *s)
{
    return ag_blob_new("text/calendar", strdup(s), strlen(s), 0, NULL);
}

static void get_returns_own_reference(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(4);
    ag_blob *b = blob_of("feed");
    ag_service_cache_put(c, "/network.ics", 1, b);
    ag_blob_unref(b); /* the cache keeps its own */
    ag_blob *got = ag_service_cache_get(c, "/network.ics", 1);
    assert_non_null(got);
    assert_memory_equal(ag_blob_data(got), "feed", 4);
    ag_service_cache_free(c);
    /* Our reference outlives the cache. */
    assert_memory_equal(ag_blob_data(got), "feed", 4);
    ag_blob_unref(got);
}

static void other_generation_is_dropped(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(4);
    ag_blob *b = blob_of("old");
    ag_service_cache_put(c, "k", 1, b);
    ag_blob_unref(b);
    assert_int_equal(ag_service_cache_size(c), 1);
    assert_null(ag_service_cache_get(c, "k", 2));
    assert_int_equal(ag_service_cache_size(c), 0);
    assert_null(ag_service_cache_get(c, "k", 1));
    assert_null(ag_service_cache_get(c, "absent", 1));
    ag_service_cache_free(c);
}

static void least_recently_used_goes_first(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(2);
    ag_blob *a = blob_of("a"), *b = blob_of("b"), *x = blob_of("x");
    ag_service_cache_put(c, "a", 1, a);
    ag_service_cache_put(c, "b", 1, b);
    ag_blob *got = ag_service_cache_get(c, "a", 1); /* a is now the most recent */
    ag_blob_unref(got);
    ag_service_cache_put(c, "x", 1, x);
    assert_int_equal(ag_service_cache_size(c), 2);
    assert_null(ag_service_cache_get(c, "b", 1));
    got = ag_service_cache_get(c, "a", 1);
    assert_ptr_equal(got, a);
    ag_blob_unref(got);
    got = ag_service_cache_get(c, "x", 1);
    assert_ptr_equal(got, x);
    ag_blob_unref(got);
    ag_blob_unref(a);
    ag_blob_unref(b);
    ag_blob_unref(x);
    ag_service_cache_free(c);
}

static void put_replaces_existing_key(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(2);
    ag_blob *a = blob_of("v1"), *b = blob_of("v2");
    ag_service_cache_put(c, "k", 1, a);
    ag_service_cache_put(c, "k", 2, b);
    assert_int_equal(ag_service_cache_size(c), 1);
    assert_null(ag_service_cache_get(c, "k", 1));
    ag_service_cache_put(c, "k", 2, b);
    ag_blob *got = ag_service_cache_get(c, "k", 2);
    assert_ptr_equal(got, b);
    ag_blob_unref(got);
    ag_blob_unref(a);
    ag_blob_unref(b);
    ag_service_cache_free(c);
}

static void many_keys_survive_growth_and_clear(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(1000);
    char key[32];
    for (int i = 0; i < 1500; i++) {
        snprintf(key, sizeof key, "/feed/%d.ics", i);
        ag_blob *b = blob_of(key);
        ag_service_cache_put(c, key, i, b);
        ag_blob_unref(b);
    }
    assert_int_equal(ag_service_cache_size(c), 1000);
    for (int i = 0; i < 1500; i++) {
        snprintf(key, sizeof key, "/feed/%d.ics", i);
        ag_blob *got = ag_service_cache_get(c, key, i);
        if (i < 500) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_memory_equal(ag_blob_data(got), key, strlen(key));
        ag_blob_unref(got);
    }
    ag_service_cache_clear(c);
    assert_int_equal(ag_service_cache_size(c), 0);
    assert_null(ag_service_cache_get(c, "/feed/1499.ics", 1499));
    ag_service_cache_free(c);
}

static void drop_prefixes_leaves_the_others(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(8);
    const char *keys[] = {"network|ar|", "member|fes|ar|", "member|fes-meknes|ar|",
                          "event|fes:1|ar|", "category|digitalisation|fr|"};
    for (size_t i = 0; i < 5; i++) {
        ag_blob *b = blob_of(keys[i]);
        ag_service_cache_put(c, keys[i], 1, b);
        ag_blob_unref(b);
    }
    const char *drop[] = {"member|fes|", "event|fes:"};
    assert_int_equal(ag_service_cache_drop_prefixes(c, drop, 2), 2);
    assert_int_equal(ag_service_cache_size(c), 3);
    assert_null(ag_service_cache_get(c, "member|fes|ar|", 1));
    assert_null(ag_service_cache_get(c, "event|fes:1|ar|", 1));
    for (size_t i = 0; i < 5; i++) {
        if (i == 1 || i == 3)
            continue;
        ag_blob *got = ag_service_cache_get(c, keys[i], 1);
        assert_non_null(got);
        ag_blob_unref(got);
    }
    assert_int_equal(ag_service_cache_drop_prefixes(c, drop, 0), 0);
    ag_service_cache_free(c);
}

static void zero_capacity_stores_nothing(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(0);
    ag_blob *b = blob_of("x");
    ag_service_cache_put(c, "k", 1, b);
    assert_int_equal(ag_service_cache_size(c), 0);
    assert_null(ag_service_cache_get(c, "k", 1));
    ag_blob_unref(b);
    ag_service_cache_free(c);
}

static void byte_bound_evicts_least_recent_but_keeps_newest(void **state)
{
    (void)state;
    ag_cache *c = ag_service_cache_new(16);
    ag_service_cache_set_max_bytes(c, 10);
    ag_blob *a = blob_of("aaaa"), *b = blob_of("bbbb"), *big = blob_of("0123456789abcdef");
    ag_service_cache_put(c, "a", 1, a);
    ag_service_cache_put(c, "b", 1, b);
    assert_int_equal(ag_service_cache_bytes(c), 8);
    ag_service_cache_put(c, "big", 1, big); /* over the bound alone: stays, the others go */
    assert_int_equal(ag_service_cache_size(c), 1);
    assert_int_equal(ag_service_cache_bytes(c), 16);
    ag_blob *got = ag_service_cache_get(c, "big", 1);
    assert_non_null(got);
    ag_blob_unref(got);
    ag_service_cache_put(c, "a", 1, a);
    assert_int_equal(ag_service_cache_size(c), 1); /* big was the least recent */
    assert_int_equal(ag_service_cache_bytes(c), 4);
    ag_service_cache_put(c, "a", 1, b); /* replacing keeps the count right */
    assert_int_equal(ag_service_cache_bytes(c), 4);
    ag_service_cache_clear(c);
    assert_int_equal(ag_service_cache_bytes(c), 0);
    ag_blob_unref(a);
    ag_blob_unref(b);
    ag_blob_unref(big);
    ag_service_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_returns_own_reference),
        cmocka_unit_test(other_generation_is_dropped),
        cmocka_unit_test(least_recently_used_goes_first),
        cmocka_unit_test(put_replaces_existing_key),
        cmocka_unit_test(many_keys_survive_growth_and_clear),
        cmocka_unit_test(drop_prefixes_leaves_the_others),
        cmocka_unit_test(zero_capacity_stores_nothing),
        cmocka_unit_test(byte_bound_evicts_least_recent_but_keeps_newest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
