/* base/i18n.c and the diagnostics' layout in a right-to-left language:
 * the location between U+2066 and U+2069, never cut so that an isolate
 * stays open or a character is halved. The Arabic cases run under
 * ar_MA.UTF-8 with the build tree's catalog, and are skipped where that
 * locale is not generated (a package's build chroot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "diag.h"
#include "i18n.h"
#include "utf8.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LRI "\xe2\x81\xa6"
#define PDI "\xe2\x81\xa9"

static void use_c(void)
{
    setenv("LC_MESSAGES", "C", 1);
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    ag_i18n_init();
}

/* False (the test is skipped) where ar_MA.UTF-8 is not generated. */
static bool use_arabic(void)
{
    const char *build = getenv("AGENDAD_BUILD_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/core/locale", build ? build : ".");
    setenv("AGENDAD_LOCALEDIR", dir, 1);
    setenv("LC_MESSAGES", "ar_MA.UTF-8", 1);
    unsetenv("LANGUAGE");
    unsetenv("LC_ALL");
    ag_i18n_init();
    unsetenv("AGENDAD_LOCALEDIR");
    return ag_i18n_rtl();
}

static char *printed(const ag_diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ag_diags_print(d, f);
    fclose(f);
    return buf;
}

static void c_locale_is_english_left_to_right(void **state)
{
    (void)state;
    use_c();
    assert_false(ag_i18n_rtl());
    char buf[16];
    assert_string_equal(ag_i18n_ltr(buf, sizeof buf, "events/x.yaml"), "events/x.yaml");
    /* Cut, never in the middle of a character (é is two bytes). */
    assert_string_equal(ag_i18n_ltr(buf, 5, "fête"), "f\xc3\xaat");
    assert_string_equal(ag_i18n_ltr(buf, 3, "fête"), "f");
    ag_diags d = {0};
    ag_diags_add(&d, "events/x.yaml", 12, 3, "unknown %s \"%s\"", ag_i18n_what("member"), "fes");
    ag_diags_add(&d, "events", 0, 0, "cannot read this directory: %s", "denied");
    d.lost = 2;
    char *out = printed(&d);
    assert_string_equal(out, "events/x.yaml:12:3: error: unknown member \"fes\"\n"
                             "events: error: cannot read this directory: denied\n"
                             "error: out of memory: 2 more errors not listed\n");
    free(out);
    ag_diags_free(&d);
}

static void localedir_follows_the_environment(void **state)
{
    (void)state;
    setenv("AGENDAD_LOCALEDIR", "/somewhere/locale", 1);
    assert_string_equal(ag_i18n_localedir(), "/somewhere/locale");
    unsetenv("AGENDAD_LOCALEDIR");
    /* The test runs from the build tree: "locale" beside it is not there,
     * so the configured directory answers. */
    assert_non_null(strstr(ag_i18n_localedir(), "locale"));
}

static void arabic_isolates_the_location(void **state)
{
    (void)state;
    if (!use_arabic()) {
        use_c();
        skip();
    }
    ag_diags d = {0};
    ag_diags_add(&d, "events/x.yaml", 12, 3, "unknown %s \"%s\"", ag_i18n_what("member"), "fes");
    ag_diags_add(&d, NULL, 0, 0, "out of memory while loading the plugins");
    char *out = printed(&d);
    assert_string_equal(out, LRI "events/x.yaml:12:3" PDI ": خطأ: لم يُعثر على عضو «fes»\n"
                                 "خطأ: نفدت الذاكرة أثناء تحميل الإضافات\n");
    free(out);
    ag_diags_free(&d);
    use_c();
}

static void arabic_isolates_survive_a_cut(void **state)
{
    (void)state;
    if (!use_arabic()) {
        use_c();
        skip();
    }
    char buf[64];
    assert_string_equal(ag_i18n_ltr(buf, sizeof buf, "events/x.yaml:1:2"),
                        LRI "events/x.yaml:1:2" PDI);
    /* Room for LRI, 3 bytes and PDI: the text is cut, the isolate closed. */
    assert_string_equal(ag_i18n_ltr(buf, 3 + 3 + 3 + 1, "events"), LRI "eve" PDI);
    /* A cut inside a character drops all of it. */
    assert_string_equal(ag_i18n_ltr(buf, 3 + 2 + 3 + 1, "\xc3\xa9t\xc3\xa9"), LRI "\xc3\xa9" PDI);
    assert_string_equal(ag_i18n_ltr(buf, 3 + 1 + 3 + 1, "\xc3\xa9t\xc3\xa9"), LRI PDI);
    assert_string_equal(ag_i18n_ltr(buf, 3 + 3 + 1, "events"), LRI PDI);
    /* Too small for both isolates: nothing rather than an open one. */
    assert_string_equal(ag_i18n_ltr(buf, 3 + 3, "events"), "");
    assert_true(ag_utf8_valid(buf, strlen(buf)));
    use_c();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(c_locale_is_english_left_to_right),
        cmocka_unit_test(localedir_follows_the_environment),
        cmocka_unit_test(arabic_isolates_the_location),
        cmocka_unit_test(arabic_isolates_survive_a_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
