/* digest.c: SHA-256 through libgcrypt gives the standard digests (stored
 * token hashes and ETags must not change with the library), in one or two
 * parts; HMAC-SHA-256 gives RFC 4231's; hex, constant-time equality and random bytes. */
#include "digest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void hex_of(const char *a, const char *b, char out[65])
{
    unsigned char md[AG_SHA256_BYTES];
    assert_int_equal(ag_sha256(a, strlen(a), b, b ? strlen(b) : 0, md), 0);
    ag_hex(md, sizeof md, out);
}

static void sha256_known_vectors(void **state)
{
    (void)state;
    char hex[65];
    hex_of("", NULL, hex); /* FIPS 180-2 and NIST examples */
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", NULL, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", NULL, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void two_parts_hash_as_one(void **state)
{
    (void)state;
    char one[65], two[65];
    hex_of("abc", NULL, one);
    hex_of("a", "bc", two);
    assert_string_equal(one, two);
    hex_of("ab", "", two);
    hex_of("ab", NULL, one);
    assert_string_equal(one, two);
}

static void hmac_of(const void *key, size_t keylen, const char *msg, char out[65])
{
    unsigned char mac[AG_SHA256_BYTES];
    assert_int_equal(ag_hmac_sha256(key, keylen, msg, strlen(msg), mac), 0);
    ag_hex(mac, sizeof mac, out);
}

/* RFC 4231, test cases 1, 2 and 6 (a key longer than the block). */
static void hmac_known_vectors(void **state)
{
    (void)state;
    char hex[65];
    unsigned char k1[20], k6[131];
    memset(k1, 0x0b, sizeof k1);
    memset(k6, 0xaa, sizeof k6);
    hmac_of(k1, sizeof k1, "Hi There", hex);
    assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_of("Jefe", 4, "what do ya want for nothing?", hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    hmac_of(k6, sizeof k6, "Test Using Larger Than Block-Size Key - Hash Key First", hex);
    assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void equality_and_randomness(void **state)
{
    (void)state;
    assert_true(ag_const_equal("secret", "secret", 6));
    assert_false(ag_const_equal("secret", "secreT", 6));
    assert_false(ag_const_equal("Secret", "secret", 6));
    assert_true(ag_const_equal("", "", 0));
    unsigned char a[32] = {0}, b[32] = {0}, zero[32] = {0};
    assert_int_equal(ag_random_bytes(a, sizeof a), 0);
    assert_int_equal(ag_random_bytes(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    char hex[5];
    ag_hex((const unsigned char *)"\x00\xff", 2, hex);
    assert_string_equal(hex, "00ff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(two_parts_hash_as_one),
        cmocka_unit_test(hmac_known_vectors),
        cmocka_unit_test(equality_and_randomness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
