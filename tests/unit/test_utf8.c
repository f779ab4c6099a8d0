#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "utf8.h"

#include <stdio.h>
#include <string.h>

/* "ورشة" is 8 bytes: cutting at 6 bytes + NUL must not leave half a letter. */
static void truncation_never_splits_arabic(void **state)
{
    (void)state;
    for (size_t size = 1; size <= 10; size++) {
        char buf[16];
        snprintf(buf, size, "%s", "ورشة");
        ag_utf8_fix_truncation(buf, size);
        assert_true(ag_utf8_valid(buf, strlen(buf)));
        assert_int_equal(strlen(buf) % 2, 0);
    }
}

static void validity(void **state)
{
    (void)state;
    assert_true(ag_utf8_valid("Fès ⵜⴰⵎⴰⵣⵉⵖⵜ مكناس", strlen("Fès ⵜⴰⵎⴰⵣⵉⵖⵜ مكناس")));
    assert_false(ag_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
    assert_false(ag_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(ag_utf8_valid("\xD9", 1));             /* cut sequence */
    assert_false(ag_utf8_valid("\xF4\x90\x80\x80", 4)); /* beyond U+10FFFF */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(truncation_never_splits_arabic),
        cmocka_unit_test(validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
