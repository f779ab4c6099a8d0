#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag.h"

#include <stdlib.h>
#include <string.h>

static void diag_formats_file_line_col(void **state)
{
    (void)state;
    ag_diags d = {0};
    ag_diags_add(&d, "events/a.yaml", 3, 7, "unknown key \"%s\"", "titel");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ag_diags_print(&d, f);
    fclose(f);
    assert_string_equal(buf, "events/a.yaml:3:7: error: unknown key \"titel\"\n");
    free(buf);
    ag_diags_free(&d);
    assert_int_equal(d.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(diag_formats_file_line_col)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
