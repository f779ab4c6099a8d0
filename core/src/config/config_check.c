/* Typed reading of tree nodes. Messages are for the admin editing the file:
 * they say what was found and what would be right, never a C type. */
#include "config_internal.h"

#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag_config_err(ag_diags *d, const ag_loc *loc, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, _(fmt), ap);
    va_end(ap);
    ag_utf8_fix_truncation(msg, sizeof msg);
    ag_diags_add_text(d, loc->file, loc->line, loc->col, msg);
}

/* A `what` in the admin's language (a key stays as written). */
#define WHAT(what) ag_i18n_what(what)

const char *ag_config_kind_name(const ag_config_node *n)
{
    /* TRANSLATORS: this and the three next: what a config has where
     * something else was expected, inserted as "found %s". */
    if (n->kind == AG_CFG_MAP)
        return _("a mapping (key: value lines)");
    if (n->kind == AG_CFG_SEQ)
        return _("a list");
    return ag_config_is_null(n) ? _("nothing") : _("a single value");
}

bool ag_config_is_null(const ag_config_node *n)
{
    return n->kind == AG_CFG_SCALAR && (!*n->scalar || strcmp(n->scalar, "~") == 0);
}

void ag_config_oom(ag_diags *d, const ag_loc *loc, const char *what)
{
    ag_config_err(d, loc, "out of memory while reading %s", WHAT(what));
}

ag_loc ag_config_loc_copy(ag_diags *d, const ag_loc *l)
{
    ag_loc c = {l->file ? strdup(l->file) : NULL, l->line, l->col};
    if (l->file && !c.file)
        ag_config_oom(d, l, N_("this entry"));
    return c;
}

void ag_config_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static size_t count_strv(const char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    return n;
}

static bool is_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(key, allowed[i]) == 0)
            return true;
    return false;
}

static void join(char *buf, size_t size, const char *const *words)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; words[i] && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", words[i]);
}

/* The suggestion is a key: only the words around it are translated. */
static void unknown_key(ag_diags *d, const ag_config_node *n, size_t i, const char *const *allowed,
                        const char *what)
{
    const char *guess = ag_config_suggest(n->keys[i], allowed, count_strv(allowed));
    char list[512];
    join(list, sizeof list, allowed);
    if (guess)
        ag_config_err(d, &n->key_locs[i],
                      "unknown key \"%s\" in %s (did you mean \"%s\"? expected one of: %s)",
                      n->keys[i], WHAT(what), guess, list);
    else
        ag_config_err(d, &n->key_locs[i], "unknown key \"%s\" in %s (expected one of: %s)",
                      n->keys[i], WHAT(what), list);
}

bool ag_config_check_keys(ag_diags *d, const ag_config_node *n, const char *const *allowed,
                          const char *what)
{
    if (n->kind != AG_CFG_MAP) {
        ag_config_err(d, &n->loc, "expected %s as a mapping (key: value lines), found %s",
                      WHAT(what), ag_config_kind_name(n));
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        if (!is_allowed(n->keys[i], allowed)) {
            unknown_key(d, n, i, allowed, what);
            ok = false;
        }
    }
    return ok;
}

const ag_config_node *ag_config_require(ag_diags *d, const ag_config_node *map, const char *key,
                                        const char *what)
{
    const ag_config_node *v = ag_config_node_get(map, key);
    if (!v)
        ag_config_err(d, &map->loc, "%s has no \"%s\", which is required", WHAT(what), key);
    return v;
}

bool ag_config_is_text(const ag_config_node *n)
{
    return n->kind == AG_CFG_SCALAR && !ag_config_is_null(n);
}

bool ag_config_scalar(ag_diags *d, const ag_config_node *n, const char *what)
{
    if (ag_config_is_text(n))
        return true;
    ag_config_err(d, &n->loc, "expected text for %s, found %s", WHAT(what), ag_config_kind_name(n));
    return false;
}

bool ag_config_string(ag_diags *d, const ag_config_node *n, const char *what, char **out)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    *out = strdup(n->scalar);
    if (!*out)
        ag_config_oom(d, &n->loc, what);
    return *out != NULL;
}

static bool text_part(ag_diags *d, const ag_config_node *map, const char *lang, char **out)
{
    const ag_config_node *v = ag_config_node_get(map, lang);
    if (!v)
        return true;
    char what[16];
    snprintf(what, sizeof what, "\"%s\"", lang);
    return ag_config_string(d, v, what, out);
}

bool ag_config_text(ag_diags *d, const ag_config_node *n, const char *what, ag_text *out)
{
    static const char *const langs[] = {"ar", "fr", NULL};
    if (n->kind != AG_CFG_MAP) {
        ag_config_err(d, &n->loc, "expected %s as {ar: \"…\", fr: \"…\"}, found %s", WHAT(what),
                      ag_config_kind_name(n));
        return false;
    }
    bool ok = ag_config_check_keys(d, n, langs, what);
    ok = text_part(d, n, "ar", &out->ar) && ok;
    ok = text_part(d, n, "fr", &out->fr) && ok;
    if (ok && !out->ar && !out->fr) {
        ag_config_err(d, &n->loc, "%s needs the text in Arabic (ar:), French (fr:) or both",
                      WHAT(what));
        ok = false;
    }
    if (!ok)
        ag_text_free(out);
    return ok;
}

bool ag_config_id(ag_diags *d, const ag_config_node *n, const char *what, char **out)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    if (!ag_config_valid_id(n->scalar)) {
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid %s: use only lowercase letters a-z, digits and \"-\"",
                      n->scalar, WHAT(what));
        return false;
    }
    *out = strdup(n->scalar);
    if (!*out)
        ag_config_oom(d, &n->loc, what);
    return *out != NULL;
}

bool ag_config_bool(ag_diags *d, const ag_config_node *n, const char *what, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", NULL};
    bool is_yes = n->kind == AG_CFG_SCALAR && is_allowed(n->scalar, yes);
    bool is_no = n->kind == AG_CFG_SCALAR && is_allowed(n->scalar, no);
    if (!is_yes && !is_no) {
        ag_config_err(d, &n->loc, "expected true or false for %s", WHAT(what));
        return false;
    }
    *out = is_yes;
    return true;
}

bool ag_config_int(ag_diags *d, const ag_config_node *n, const char *what, long min, long max,
                   long *out)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    char *end;
    errno = 0;
    long v = strtol(n->scalar, &end, 10);
    if (errno || end == n->scalar || *end || v < min || v > max) {
        ag_config_err(d, &n->loc, "%s must be a whole number from %ld to %ld, not \"%s\"",
                      WHAT(what), min, max, n->scalar);
        return false;
    }
    *out = v;
    return true;
}

bool ag_config_duration(ag_diags *d, const ag_config_node *n, const char *what, int64_t *out)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    if (ag_config_duration_parse(n->scalar, out) == 0)
        return true;
    ag_config_err(d, &n->loc,
                  "\"%s\" is not a valid duration for %s: write a number and a unit (s, m, h, d, "
                  "w), e.g. 30m, 2h, 1d12h",
                  n->scalar, WHAT(what));
    return false;
}

static const char *zone_suffix(const char *s)
{
    const char *t = strpbrk(s, "Tt ");
    if (!t)
        return NULL;
    const char *z = strpbrk(t, "Zz+-");
    return z;
}

bool ag_config_datetime(ag_diags *d, const ag_config_node *n, const char *what, ag_datetime *out)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    const char *s = n->scalar;
    switch (ag_config_parse_datetime(s, out)) {
    case AG_DT_OK:
        return true;
    case AG_DT_HAS_ZONE:
        ag_config_err(d, &n->loc,
                      "\"%s\": remove \"%s\" — times are local wall-clock times, and the zone is "
                      "given by \"timezone:\"",
                      s, zone_suffix(s) ? zone_suffix(s) : "");
        break;
    case AG_DT_BAD_DATE:
        ag_config_err(d, &n->loc, "\"%s\" is not a real date", s);
        break;
    case AG_DT_BAD_TIME:
        ag_config_err(d, &n->loc, "\"%s\" is not a real time of day", s);
        break;
    default:
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid %s: write a date YYYY-MM-DD or a date-time "
                      "YYYY-MM-DDTHH:MM",
                      s, WHAT(what));
    }
    return false;
}

bool ag_config_seq(ag_diags *d, const ag_config_node *n, const char *what)
{
    if (n->kind == AG_CFG_SEQ)
        return true;
    ag_config_err(d, &n->loc, "expected a list for %s, found %s", WHAT(what),
                  ag_config_kind_name(n));
    return false;
}

bool ag_config_string_list(ag_diags *d, const ag_config_node *n, const char *what, char ***out,
                           size_t *n_out)
{
    if (!ag_config_seq(d, n, what))
        return false;
    char **v = n->n ? calloc(n->n, sizeof *v) : NULL;
    if (n->n && !v) {
        ag_config_oom(d, &n->loc, what);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->n; i++)
        ok = ag_config_string(d, n->items[i], what, &v[i]) && ok;
    if (!ok) {
        ag_config_free_strv(v, n->n);
        return false;
    }
    *out = v;
    *n_out = n->n;
    return true;
}

bool ag_config_choice(ag_diags *d, const ag_config_node *n, const char *what,
                      const char *const *choices, int *index)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    for (int i = 0; choices[i]; i++) {
        if (strcmp(n->scalar, choices[i]) == 0) {
            *index = i;
            return true;
        }
    }
    char list[512];
    join(list, sizeof list, choices);
    const char *guess = ag_config_suggest(n->scalar, choices, count_strv(choices));
    if (guess)
        ag_config_err(d, &n->loc,
                      "\"%s\" is not a valid %s (did you mean \"%s\"? expected one of: %s)",
                      n->scalar, WHAT(what), guess, list);
    else
        ag_config_err(d, &n->loc, "\"%s\" is not a valid %s (expected one of: %s)", n->scalar,
                      WHAT(what), list);
    return false;
}

void ag_config_unknown_ref(ag_diags *d, const ag_config_node *n, const char *what,
                           const char *const *cands, size_t n_cands)
{
    ag_config_unknown_guess(d, n, what, ag_config_suggest(n->scalar, cands, n_cands));
}

void ag_config_unknown_guess(ag_diags *d, const ag_config_node *n, const char *what,
                             const char *guess)
{
    if (guess)
        ag_config_err(d, &n->loc, "unknown %s \"%s\" (did you mean \"%s\"?)", WHAT(what), n->scalar,
                      guess);
    else
        ag_config_err(d, &n->loc, "unknown %s \"%s\"", WHAT(what), n->scalar);
}
