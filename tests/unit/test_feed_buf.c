/* The feed's output buffer: a reservation made from an estimate must never
 * limit what can be written, nor change a byte of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "feed_internal.h"

#include <stdlib.h>
#include <string.h>

/* Arabic and French, so that a growth step lands inside multi-byte
 * characters as well as between them. */
static const char piece[] = "ورشة عمل — atelier éé\r\n";

static void fill(ag_feed_buf *b, size_t total)
{
    size_t n = sizeof piece - 1;
    for (size_t done = 0; done < total; done += n)
        ag_feed_buf_put(b, piece, n);
}

static void assert_filled(const ag_feed_buf *b, size_t total)
{
    size_t n = sizeof piece - 1, want = (total + n - 1) / n * n;
    assert_false(b->failed);
    assert_int_equal(b->len, want);
    assert_true(b->cap > b->len);
    assert_int_equal(b->data[b->len], '\0');
    for (size_t at = 0; at < b->len; at += n)
        assert_memory_equal(b->data + at, piece, n);
}

static void a_small_reservation_is_outgrown(void **state)
{
    (void)state;
    ag_feed_buf b = {0};
    ag_feed_buf_reserve(&b, 16);
    assert_int_equal(b.cap, 16);
    assert_string_equal(b.data, "");
    fill(&b, 200000);
    assert_filled(&b, 200000);
    free(b.data);
}

/* Past 4 MiB the reservation is advised into huge pages; writing beyond it
 * moves the buffer and must keep every byte. */
static void a_huge_reservation_is_outgrown(void **state)
{
    (void)state;
    ag_feed_buf b = {0};
    size_t reserved = (4u << 20) + 12345;
    ag_feed_buf_reserve(&b, reserved);
    assert_int_equal(b.cap, reserved);
    fill(&b, 3 * reserved);
    assert_filled(&b, 3 * reserved);
    free(b.data);
}

static void a_reservation_never_replaces_written_bytes(void **state)
{
    (void)state;
    ag_feed_buf b = {0};
    ag_feed_buf_put(&b, "BEGIN:VCALENDAR\r\n", 17);
    size_t cap = b.cap;
    ag_feed_buf_reserve(&b, 8u << 20);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "BEGIN:VCALENDAR\r\n");
    free(b.data);
}

static void a_failed_buffer_stays_failed(void **state)
{
    (void)state;
    ag_feed_buf b = {.failed = true};
    ag_feed_buf_reserve(&b, 1024);
    assert_null(b.data);
    ag_feed_buf_put(&b, "x", 1);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_small_reservation_is_outgrown),
        cmocka_unit_test(a_huge_reservation_is_outgrown),
        cmocka_unit_test(a_reservation_never_replaces_written_bytes),
        cmocka_unit_test(a_failed_buffer_stays_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
