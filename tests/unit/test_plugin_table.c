/* The host table is filled concern by concern (plugin_table.c): whatever
 * file sets an entry, none may be left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_internal.h"

#include <string.h>

static void every_function_entry_is_set(void **state)
{
    (void)state;
    agendad_host t;
    memset(&t, 0xAB, sizeof t);
    ag_plugin_table_fill(&t);
    assert_int_equal(t.size, sizeof(agendad_host));
    assert_int_equal(t.abi_major, AGENDAD_PLUGIN_ABI_MAJOR);
    assert_int_equal(t.abi_minor, AGENDAD_PLUGIN_ABI_MINOR);
    assert_null(t.loop); /* the host's, set when it loads a plugin */
    /* Every entry after loop is a function pointer, in offset order. */
    typedef void (*fnptr)(void);
    size_t first = offsetof(agendad_host, strerror);
    for (size_t off = first; off + sizeof(fnptr) <= sizeof t; off += sizeof(fnptr)) {
        fnptr f;
        memcpy(&f, (const char *)&t + off, sizeof f);
        if (!f)
            fail_msg("the host table entry at offset %zu is not set", off);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_function_entry_is_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
