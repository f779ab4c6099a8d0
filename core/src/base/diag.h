/* Diagnostics for admins: each is "file:line:col: message", where the
 * message is written for a person who edits YAML, not for a programmer. */
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
} ag_diags;

/* Appends a diagnostic; copies file and the formatted message. */
void ag_diags_add(ag_diags *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ag_diags_free(ag_diags *d);
/* Drops the diagnostics after the first n (those a retry will add again). */
void ag_diags_truncate(ag_diags *d, size_t n);
/* Writes one line per diagnostic: "file:line:col: error: msg". */
void ag_diags_print(const ag_diags *d, FILE *out);
/* Same as print, to the log at error level. */
void ag_diags_log(const ag_diags *d);

#endif
