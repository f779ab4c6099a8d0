#include "diag.h"

#include "i18n.h"
#include "log.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void ag_diags_add_text(ag_diags *d, const char *file, int line, int col, const char *msg)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        ag_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->lost++;
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    ag_diag g = {.file = file ? strdup(file) : NULL, .line = line, .col = col, .msg = strdup(msg)};
    if (!g.msg || (file && !g.file)) {
        free(g.file);
        free(g.msg);
        d->lost++;
        return;
    }
    d->v[d->n++] = g;
}

void ag_diags_add(ag_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, _(fmt), ap);
    va_end(ap);
    ag_utf8_fix_truncation(msg, sizeof msg);
    ag_diags_add_text(d, file, line, col, msg);
}

size_t ag_diags_count(const ag_diags *d)
{
    return d->n + d->lost;
}

void ag_diags_free(ag_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = d->lost = 0;
}

/* Kept diagnostics count first, lost ones after them. */
void ag_diags_truncate(ag_diags *d, size_t n)
{
    size_t keep = n < d->n ? n : d->n;
    for (size_t i = keep; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    d->n = keep;
    if (n - keep < d->lost)
        d->lost = n - keep;
}

/* "file:line:col: " (or "file: "), isolated in a right-to-left language;
 * "" without a file. */
static void format_where(const ag_diag *g, char *buf, size_t size)
{
    char where[2048];
    if (g->file && g->line > 0)
        snprintf(where, sizeof where, "%s:%d:%d", g->file, g->line, g->col);
    else if (g->file)
        snprintf(where, sizeof where, "%s", g->file);
    else {
        buf[0] = '\0';
        return;
    }
    char ltr[sizeof where + 8];
    snprintf(buf, size, "%s: ", ag_i18n_ltr(ltr, sizeof ltr, where));
}

static void format_one(const ag_diag *g, char *buf, size_t size)
{
    format_where(g, buf, size);
    size_t used = strlen(buf);
    /* TRANSLATORS: a diagnostic's severity and message; its location
     * (file:line:col: ) comes before, and is not part of this text. */
    snprintf(buf + used, size - used, _("error: %s"), g->msg);
    ag_utf8_fix_truncation(buf, size);
}

static void format_lost(const ag_diags *d, char *buf, size_t size)
{
    snprintf(buf, size,
             ngettext("error: out of memory: %zu more error not listed",
                      "error: out of memory: %zu more errors not listed", d->lost),
             d->lost);
}

void ag_diags_print(const ag_diags *d, FILE *out)
{
    char buf[2048];
    for (size_t i = 0; i < d->n; i++) {
        format_one(&d->v[i], buf, sizeof buf);
        fprintf(out, "%s\n", buf);
    }
    if (d->lost) {
        format_lost(d, buf, sizeof buf);
        fprintf(out, "%s\n", buf);
    }
}

void ag_diags_log(const ag_diags *d)
{
    char buf[2048];
    for (size_t i = 0; i < d->n; i++) {
        format_one(&d->v[i], buf, sizeof buf);
        ag_log(AG_LOG_ERR, "%s", buf);
    }
    if (d->lost) {
        format_lost(d, buf, sizeof buf);
        ag_log(AG_LOG_ERR, "%s", buf);
    }
}
