#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blob.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static ag_blob *blob_of(const char *s, const char *salt)
{
    return ag_blob_new("text/calendar; charset=utf-8", strdup(s), strlen(s), 1678180200, salt);
}

static void etag_is_quoted_sha256_prefix(void **state)
{
    (void)state;
    ag_blob *b = blob_of("abc", NULL);
    assert_non_null(b);
    /* SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3... */
    assert_string_equal(ag_blob_etag(b), "\"ba7816bf8f01cfea414140de5dae2223\"");
    assert_string_equal(ag_blob_content_type(b), "text/calendar; charset=utf-8");
    assert_int_equal(ag_blob_len(b), 3);
    assert_memory_equal(ag_blob_data(b), "abc", 3);
    assert_int_equal(ag_blob_last_modified(b), 1678180200);
    ag_blob_unref(b);
}

static void salt_is_hashed_after_bytes(void **state)
{
    (void)state;
    ag_blob *a = blob_of("abc", NULL);
    ag_blob *b = blob_of("ab", "c");
    ag_blob *c = blob_of("abc", "2026c");
    ag_blob *d = blob_of("abc", "2026b");
    assert_string_equal(ag_blob_etag(a), ag_blob_etag(b));
    assert_string_not_equal(ag_blob_etag(a), ag_blob_etag(c));
    assert_string_not_equal(ag_blob_etag(c), ag_blob_etag(d));
    ag_blob_unref(a);
    ag_blob_unref(b);
    ag_blob_unref(c);
    ag_blob_unref(d);
}

static char *inflate_all(const char *in, size_t len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip wrapper only */
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}

static void gzip_round_trips_and_is_cached(void **state)
{
    (void)state;
    size_t n = 100000;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = "BEGIN:VEVENT\r\nSUMMARY:ورشة\r\n"[i % 30];
    char *copy = malloc(n);
    memcpy(copy, data, n);
    ag_blob *b = ag_blob_new("text/calendar", data, n, 0, NULL);
    size_t gzlen = 0;
    const char *gz = ag_blob_gzip(b, &gzlen);
    assert_non_null(gz);
    assert_true(gzlen < n / 10);
    assert_int_equal((unsigned char)gz[0], 0x1f); /* RFC 1952 magic */
    assert_int_equal((unsigned char)gz[1], 0x8b);
    size_t outlen = 0;
    char *out = inflate_all(gz, gzlen, &outlen);
    assert_int_equal(outlen, n);
    assert_memory_equal(out, copy, n);
    size_t again = 0;
    assert_ptr_equal(ag_blob_gzip(b, &again), gz);
    assert_int_equal(again, gzlen);
    free(out);
    free(copy);
    ag_blob_unref(b);
}

static void empty_body_is_valid(void **state)
{
    (void)state;
    ag_blob *b = ag_blob_new("text/plain", NULL, 0, 0, NULL);
    assert_non_null(b);
    assert_int_equal(ag_blob_len(b), 0);
    /* SHA-256("") = e3b0c44298fc1c149afbf4c8996fb924... */
    assert_string_equal(ag_blob_etag(b), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
    size_t gzlen = 0;
    const char *gz = ag_blob_gzip(b, &gzlen);
    assert_non_null(gz);
    size_t outlen = 99;
    char *out = inflate_all(gz, gzlen, &outlen);
    assert_int_equal(outlen, 0);
    free(out);
    ag_blob_unref(b);
}

static void references_keep_the_blob(void **state)
{
    (void)state;
    ag_blob *b = blob_of("abc", NULL);
    assert_ptr_equal(ag_blob_ref(b), b);
    ag_blob_unref(b);
    /* Still alive: ASan would flag this read after a premature free. */
    assert_memory_equal(ag_blob_data(b), "abc", 3);
    ag_blob_unref(b);
    ag_blob_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(etag_is_quoted_sha256_prefix),
        cmocka_unit_test(salt_is_hashed_after_bytes),
        cmocka_unit_test(gzip_round_trips_and_is_cached),
        cmocka_unit_test(empty_body_is_valid),
        cmocka_unit_test(references_keep_the_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
