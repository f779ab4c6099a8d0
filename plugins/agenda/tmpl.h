/* A small logic-less template language for the agenda's pages, in the
 * spirit of Mustache, with one rule Mustache leaves to call sites: every
 * value is escaped for the template's output format, always. There is no
 * "raw" tag, so user data (titles, names, descriptions) can never become
 * markup; only template text itself (and the files it includes) is trusted.
 *
 *   {{name}}             the value, escaped; inline: line breaks become spaces
 *   {{name|block}}       the value, escaped, keeping its line breaks
 *   {{#name}}…{{/name}}  once per item of a list, or once if name is true /
 *                        a non-empty text; not at all otherwise
 *   {{^name}}…{{/name}}  only when name is false, empty or absent
 *   {{>file}}            the text of another template, included at load
 *   {{! comment }}
 *
 * Names are looked up in the current list item, then outwards. A section,
 * comment or include tag alone on its line takes the whole line with it, so
 * that Markdown and text templates stay readable.
 *
 * Escaping by format: HTML (& < > " ' as entities, so values are safe in
 * text and in quoted attributes), Markdown (punctuation that would become
 * emphasis, links, HTML or headings is backslash-escaped) and plain text.
 * In every format, control characters other than tab and line feed are
 * dropped. */
#ifndef AGENDA_TMPL_H
#define AGENDA_TMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { TMPL_HTML, TMPL_MARKDOWN, TMPL_TEXT } tmpl_format;

/* ------------------------------------------------------------- values */

/* A map of names to texts, booleans and lists of maps. Building never
 * fails at the call site: an allocation failure marks the whole tree as
 * failed, later calls do nothing, and tmpl_render refuses it. */
typedef struct tv tv;

tv *tv_new(void); /* NULL only when out of memory */
void tv_free(tv *root);
/* Copies text; a NULL text leaves name unset (false). */
void tv_str(tv *m, const char *name, const char *text);
void tv_strf(tv *m, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tv_bool(tv *m, const char *name, bool value);
/* Appends a new map to the list called name (created on first use) and
 * returns it; never NULL (a failed tree hands out a dummy). */
tv *tv_add(tv *m, const char *name);
bool tv_failed(const tv *m);
/* Marks the whole tree failed (data it needed could not be gathered). */
void tv_fail(tv *m);

/* ------------------------------------------------------------ templates */

typedef struct tmpl tmpl;

/* Reads a template's text. Returns malloc'd text (NUL-terminated) or NULL
 * when it does not exist; used for the template and for its includes. */
typedef char *(*tmpl_loader)(const char *name, void *data);

/* Parses the template called name. On error returns NULL and writes
 * "name:line: message" into err. */
tmpl *tmpl_load(const char *name, tmpl_format format, tmpl_loader load, void *data, char *err,
                size_t err_size);
/* Same, from text already in memory (name only for messages). */
tmpl *tmpl_parse(const char *name, const char *text, tmpl_format format, tmpl_loader load,
                 void *data, char *err, size_t err_size);
void tmpl_free(tmpl *t);

/* Writes t with values to out; -1 when values failed or out failed. */
int tmpl_render(const tmpl *t, const tv *values, FILE *out);

/* The escaping tmpl_render applies, for tests and for plain-text fields
 * rendered outside templates. block: keep line breaks. */
void tmpl_escape(FILE *out, tmpl_format format, const char *s, bool block);

#endif
