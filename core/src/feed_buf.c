/* The feed's output buffer. Failure is sticky so that writers can append
 * freely and check once. */
#include "feed_internal.h"

#include <stdlib.h>
#include <string.h>

void ag_feed_buf_put(ag_feed_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ag_feed_buf_puts(ag_feed_buf *b, const char *s)
{
    ag_feed_buf_put(b, s, strlen(s));
}

void ag_feed_buf_take(ag_feed_buf *b, char *s)
{
    if (!s) {
        b->failed = true;
        return;
    }
    ag_feed_buf_puts(b, s);
    free(s);
}

void ag_feed_buf_prop(ag_feed_buf *b, icalproperty *p)
{
    if (!p) {
        b->failed = true;
        return;
    }
    ag_feed_buf_take(b, icalproperty_as_ical_string_r(p));
    icalproperty_free(p);
}

void ag_feed_buf_component(ag_feed_buf *b, icalcomponent *c)
{
    if (!c) {
        b->failed = true;
        return;
    }
    ag_feed_buf_take(b, icalcomponent_as_ical_string_r(c));
    icalcomponent_free(c);
}

void ag_feed_buf_time(ag_feed_buf *b, const char *name, icaltimetype t)
{
    char *v = icaltime_as_ical_string_r(t);
    if (!v) {
        b->failed = true;
        return;
    }
    ag_feed_buf_puts(b, name);
    ag_feed_buf_put(b, ":", 1);
    ag_feed_buf_puts(b, v);
    ag_feed_buf_put(b, "\r\n", 2);
    free(v);
}

bool ag_feed_memo_put(ag_feed_buf *b, const char *prop, const char *value)
{
    for (size_t i = 0; b->memo && i < b->memo->n; i++) {
        const ag_feed_memo_entry *e = &b->memo->e[i];
        if (e->prop == prop && strcmp(e->value, value) == 0) {
            ag_feed_buf_puts(b, e->line);
            return true;
        }
    }
    return false;
}

void ag_feed_memo_add(ag_feed_buf *b, const char *prop, const char *value, size_t from)
{
    ag_feed_memo *m = b->memo;
    if (!m || b->failed || m->n == AG_FEED_MEMO_MAX)
        return;
    ag_feed_memo_entry e = {prop, strdup(value), strndup(b->data + from, b->len - from)};
    if (e.value && e.line) {
        m->e[m->n++] = e;
        return;
    }
    free(e.value);
    free(e.line);
}

void ag_feed_memo_free(ag_feed_memo *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].value);
        free(m->e[i].line);
    }
    m->n = 0;
}
