/* Diagnostics for admins: each is "file:line:col: message", where the
 * message is written for a person who edits YAML, not for a programmer,
 * in the admin's language (i18n.h): the message is translated when it is
 * added, the word "error" when it is printed; the location never is. */
#ifndef AGENDAD_DIAG_H
#define AGENDAD_DIAG_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *file; /* owned; may be NULL when no file is involved */
    int line;   /* 1-based; 0 when unknown */
    int col;    /* 1-based; 0 when unknown */
    char *msg;  /* owned */
} ag_diag;

typedef struct {
    ag_diag *v;
    size_t n, cap;
    /* Diagnostics that memory ran out to keep: they count all the same
     * (ag_diags_count), so that a check still fails, and print as one
     * line after the others. */
    size_t lost;
} ag_diags;

/* Appends a diagnostic; copies file and the formatted message. fmt is
 * looked up in the message catalog first: pass it bare, not through _(). */
void ag_diags_add(ag_diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same with a message already formatted (and translated). */
void ag_diags_add_text(ag_diags *d, const char *file, int line, int col, const char *msg);
/* Every diagnostic added, kept or lost: what tells whether a step found
 * errors (compare it before and after). */
size_t ag_diags_count(const ag_diags *d);
void ag_diags_free(ag_diags *d);
/* Brings the count back to n, a count taken earlier (drops what a retry
 * will add again). */
void ag_diags_truncate(ag_diags *d, size_t n);
/* Writes one line per diagnostic: "file:line:col: error: msg", and one for
 * the lost ones. In a right-to-left language the location is isolated
 * left to right (ag_i18n_ltr). */
void ag_diags_print(const ag_diags *d, FILE *out);
/* Same as print, to the log at error level. */
void ag_diags_log(const ag_diags *d);

#endif
