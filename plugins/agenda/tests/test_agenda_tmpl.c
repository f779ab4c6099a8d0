/* The agenda plugin's template language (plugins/agenda/tmpl.h): escaping
 * is automatic and per format, sections and includes behave, and malformed
 * templates are refused with their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *included_text;

static char *loader(const char *name, void *data)
{
    (void)data;
    if (strcmp(name, "part.html") == 0)
        return strdup(included_text ? included_text : "[{{who}}]");
    if (strcmp(name, "loop.html") == 0)
        return strdup("{{>loop.html}}");
    return NULL;
}

/* Renders text with values; returns malloc'd output (or NULL on error, with
 * the message in err). */
static char *run(const char *text, tmpl_format f, const tv *values, char *err, size_t size)
{
    tmpl *t = tmpl_parse("t", text, f, loader, NULL, err, size);
    if (!t)
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    int rc = tmpl_render(t, values, mem);
    fclose(mem);
    tmpl_free(t);
    if (rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void assert_renders(const char *text, tmpl_format f, const tv *values, const char *want)
{
    char err[256] = "";
    char *got = run(text, f, values, err, sizeof err);
    if (!got)
        fail_msg("template failed: %s", err);
    assert_string_equal(got, want);
    free(got);
}

static const char hostile[] = "<script>alert(\"x\")</script> & 'co'\r\nnext\x01line";

static void html_escapes_everything(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(v, "t", hostile);
    assert_renders("<p title=\"{{t}}\">{{t}}</p>", TMPL_HTML, v,
                   "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
                   "&#39;co&#39; nextline\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
                   "&amp; &#39;co&#39; nextline</p>");
    assert_renders(
        "{{t|block}}", TMPL_HTML, v,
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;\nnextline");
    tv_free(v);
}

static void markdown_and_text_escaping(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(v, "t", "*bold* _x_ [l](u) <b> #1 | `c`\nnext");
    assert_renders("- {{t}}", TMPL_MARKDOWN, v,
                   "- \\*bold\\* \\_x\\_ \\[l\\]\\(u\\) \\<b\\> \\#1 \\| \\`c\\` next");
    assert_renders("{{t}}", TMPL_TEXT, v, "*bold* _x_ [l](u) <b> #1 | `c` next");
    tv_free(v);
}

/* Arabic, French and Tifinagh pass through byte for byte. */
static void utf8_untouched(void **state)
{
    (void)state;
    tv *v = tv_new();
    const char *s = "ورشة — Atelier « ouvert » ⵜⴰⵎⴰⵣⵉⵖⵜ";
    tv_str(v, "t", s);
    assert_renders("{{t}}", TMPL_HTML, v, s);
    assert_renders("{{t}}", TMPL_MARKDOWN, v, s);
    tv_free(v);
}

static void sections_lists_and_scope(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(v, "lang", "fr");
    tv_bool(v, "yes", true);
    tv_bool(v, "no", false);
    tv_str(v, "empty", "");
    tv_str(tv_add(v, "rows"), "name", "a");
    tv *b = tv_add(v, "rows");
    tv_str(b, "name", "b");
    tv_str(b, "lang", "ar");
    assert_renders("{{#rows}}{{name}}/{{lang}} {{/rows}}", TMPL_TEXT, v, "a/fr b/ar ");
    assert_renders("{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}{{#empty}}E{{/empty}}"
                   "{{^empty}}e{{/empty}}{{^missing}}m{{/missing}}{{missing}}",
                   TMPL_TEXT, v, "Ynem");
    assert_renders("{{#none}}x{{/none}}{{^rows}}no rows{{/rows}}", TMPL_TEXT, v, "");
    tv_free(v);
}

/* A section tag alone on its line takes the line with it. */
static void standalone_lines_vanish(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(tv_add(v, "rows"), "n", "1");
    tv_str(tv_add(v, "rows"), "n", "2");
    assert_renders("A\n{{#rows}}\n- {{n}}\n{{/rows}}\n  {{! note }}\nB\n", TMPL_MARKDOWN, v,
                   "A\n- 1\n- 2\nB\n");
    assert_renders("x {{#rows}}{{n}}{{/rows}}\n", TMPL_TEXT, v, "x 12\n");
    tv_free(v);
}

static void includes_are_template_text(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(v, "who", "<me>");
    included_text = NULL;
    assert_renders("a{{>part.html}}b", TMPL_HTML, v, "a[&lt;me&gt;]b");
    tv_free(v);
}

static void assert_refused(const char *text, const char *want)
{
    char err[256] = "";
    tmpl *t = tmpl_parse("bad.html", text, TMPL_HTML, loader, NULL, err, sizeof err);
    assert_null(t);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void malformed_templates_refused(void **state)
{
    (void)state;
    assert_refused("a\n{{#x}}\nb", "bad.html:2: {{#x}} is never closed");
    assert_refused("{{#x}}{{/y}}", "{{/y}} closes nothing open; open is x");
    assert_refused("\n\n{{x", "bad.html:3: tag never closed");
    assert_refused("{{a b}}", "bad tag");
    assert_refused("{{>nope.html}}", "cannot include \"nope.html\"");
    assert_refused("{{>loop.html}}", "nested deeper");
    assert_refused("{{>../etc/passwd}}", "bad tag");
}

/* A tree whose building failed is never rendered half-way. */
static void failed_values_not_rendered(void **state)
{
    (void)state;
    tv *v = tv_new();
    tv_str(v, "a", "x");
    tv_fail(v);
    assert_true(tv_failed(v));
    char err[64];
    assert_null(run("{{a}}", TMPL_TEXT, v, err, sizeof err));
    tv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_escapes_everything),
        cmocka_unit_test(markdown_and_text_escaping),
        cmocka_unit_test(utf8_untouched),
        cmocka_unit_test(sections_lists_and_scope),
        cmocka_unit_test(standalone_lines_vanish),
        cmocka_unit_test(includes_are_template_text),
        cmocka_unit_test(malformed_templates_refused),
        cmocka_unit_test(failed_values_not_rendered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
