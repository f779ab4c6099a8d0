#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agendad/plugin.h"
#include "error.h"

#include <errno.h>
#include <string.h>

typedef struct {
    int code;
    const char *name;
} entry;

static const entry table[] = {
#define XX(name, value, msg) {AG_##name, #name},
    AG_ERROR_MAP(XX)
#undef XX
};
enum { N = sizeof table / sizeof table[0] };

static void every_code_is_negative_and_named(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++) {
        assert_true(table[i].code < 0);
        assert_string_equal(ag_err_name(table[i].code), table[i].name);
        assert_true(strlen(ag_strerror(table[i].code)) > 0);
    }
}

static void codes_names_and_messages_are_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++) {
            assert_int_not_equal(table[i].code, table[j].code);
            assert_string_not_equal(ag_err_name(table[i].code), ag_err_name(table[j].code));
            assert_string_not_equal(ag_strerror(table[i].code), ag_strerror(table[j].code));
        }
}

/* -errno needs no translation: it already is the code. */
static void system_codes_equal_minus_errno(void **state)
{
    (void)state;
    assert_int_equal(AG_ENOENT, -ENOENT);
    assert_int_equal(AG_EIO, -EIO);
    assert_int_equal(AG_ENOMEM, -ENOMEM);
    assert_int_equal(AG_ENOTDIR, -ENOTDIR);
    assert_int_equal(AG_EBUSY, -EBUSY);
    assert_int_equal(AG_EEXIST, -EEXIST);
    assert_int_equal(AG_EINVAL, -EINVAL);
    assert_int_equal(AG_ERANGE, -ERANGE);
    assert_int_equal(AG_ECANCELED, -ECANCELED);
    assert_int_equal(AG_ESHUTDOWN, -ESHUTDOWN);
}

/* agendad's own codes are beyond any errno (the kernel's stop at 4095)
 * and any libuv code. */
static void own_codes_cannot_be_errno(void **state)
{
    (void)state;
    for (size_t i = 0; i < N; i++) {
        int c = table[i].code;
        bool is_errno = c >= -4095;
        if (!is_errno)
            assert_true(c <= -5000);
        else
            assert_non_null(strerrordesc_np(-c)); /* a real errno value */
    }
}

static void unknown_codes_say_so(void **state)
{
    (void)state;
    assert_string_equal(ag_strerror(0), "success");
    assert_string_equal(ag_err_name(0), "OK");
    assert_string_equal(ag_strerror(-4000), "unknown error");
    assert_string_equal(ag_strerror(-6000), "unknown error");
    assert_string_equal(ag_strerror(42), "unknown error");
    assert_string_equal(ag_err_name(-6000), "UNKNOWN");
    assert_string_equal(ag_err_name(42), "UNKNOWN");
    /* An errno the table leaves out still gets the system's words. */
    assert_string_equal(ag_strerror(-EADDRINUSE), strerrordesc_np(EADDRINUSE));
    assert_string_equal(ag_err_name(-EADDRINUSE), "UNKNOWN");
}

/* The ABI's codes map one to one onto the table, and their messages are
 * the words the plugin host has always given. */
static void abi_codes_map_one_to_one(void **state)
{
    (void)state;
    static const struct {
        int abi;
        int code;
        const char *msg;
    } abi[] = {
        {AGENDAD_EINVAL, AG_EINVAL, "invalid argument"},
        {AGENDAD_ESTATE, AG_ESTATE, "not allowed outside init"},
        {AGENDAD_EEXIST, AG_EEXIST, "already registered"},
        {AGENDAD_ENOMEM, AG_ENOMEM, "out of memory"},
        {AGENDAD_ENOENT, AG_ENOENT, "not found"},
        {AGENDAD_ERANGE, AG_ERANGE, "out of range"},
        {AGENDAD_EZONE, AG_EZONE, "unknown time zone"},
        {AGENDAD_EPLUGIN, AG_EPLUGIN, "plugin failure"},
    };
    for (size_t i = 0; i < sizeof abi / sizeof abi[0]; i++) {
        assert_int_equal(ag_err_from_abi(abi[i].abi), abi[i].code);
        assert_int_equal(ag_err_to_abi(abi[i].code), abi[i].abi);
        assert_string_equal(ag_strerror(ag_err_from_abi(abi[i].abi)), abi[i].msg);
    }
    assert_int_equal(ag_err_from_abi(0), 0);
    assert_int_equal(ag_err_to_abi(0), 0);
    assert_string_equal(ag_strerror(ag_err_from_abi(-9)), "unknown error");
    assert_int_equal(ag_err_to_abi(AG_ESTORE), AGENDAD_EPLUGIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_is_negative_and_named),
        cmocka_unit_test(codes_names_and_messages_are_distinct),
        cmocka_unit_test(system_codes_equal_minus_errno),
        cmocka_unit_test(own_codes_cannot_be_errno),
        cmocka_unit_test(unknown_codes_say_so),
        cmocka_unit_test(abi_codes_map_one_to_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
