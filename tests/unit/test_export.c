#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service_export.h"
#include "tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* mkdir -p of a path made of 200-byte components, so that it stays under
 * PATH_MAX while its subpaths do not. */
static void make_long_dir(char *out, size_t size, const char *base, size_t want)
{
    char seg[201];
    memset(seg, 'd', 200);
    seg[200] = '\0';
    snprintf(out, size, "%s", base);
    while (strlen(out) + 201 <= want) {
        strcat(out, "/");
        strcat(out, seg);
        assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
    }
    while (strlen(out) < want - 1) {
        strcat(out, "/e");
        assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
    }
}

/* Regression: paths were cut with snprintf and used anyway, so an output
 * directory near PATH_MAX made export create "feeds/memb"-like directories
 * and files under cut names (and -O3 builds failed on -Wformat-truncation). */
static void long_output_dir_is_refused_not_truncated(void **state)
{
    (void)state;
    char base[] = "/tmp/agendad-export-XXXXXX";
    assert_non_null(mkdtemp(base));
    char state_path[256];
    snprintf(state_path, sizeof state_path, "%s/state.db", base);
    ag_service svc;
    ag_overrides ov = {.state_path = state_path};
    ag_diags diags = {0};
    char *err = NULL, sample[1024];
    snprintf(sample, sizeof sample, "%s/config", getenv("AGENDAD_SOURCE_DIR"));
    assert_int_equal(ag_service_open(&svc, sample, &ov, &diags, &err), 0);
    static char out[4200], probe[4400];
    make_long_dir(out, sizeof out, base, 4085);
    assert_int_equal(ag_service_export(&svc, out, (int64_t)time(NULL), &err), -ENAMETOOLONG);
    assert_non_null(err);
    assert_non_null(strstr(err, "too long"));
    free(err);
    /* "out/feeds" fits; "out/feeds/members" does not: nothing cut was made. */
    struct stat st;
    for (int k = 1; k <= 7; k++) {
        snprintf(probe, sizeof probe, "%s/feeds/%.*s", out, k, "members");
        if (strlen(probe) < 4096)
            assert_int_not_equal(stat(probe, &st), 0);
    }
    ag_service_close(&svc);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    ag_tz_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_output_dir_is_refused_not_truncated),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ag_tz_shutdown();
    return rc;
}
