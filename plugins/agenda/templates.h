/* The agenda's templates: the built-in ones, compiled into the plugin (and
 * installed as examples under share/agendad/templates), each replaceable by
 * a file of the same name in the admin's template directory (by default
 * templates/ in the config directory). Includes ({{>style.css}}) follow the
 * same rule, so an admin may override only the style sheet. */
#ifndef AGENDA_TEMPLATES_H
#define AGENDA_TEMPLATES_H

#include "tmpl.h"

typedef struct {
    tmpl *index;      /* index.html */
    tmpl *event;      /* event.html */
    tmpl *agenda_md;  /* agenda.md */
    tmpl *agenda_txt; /* agenda.txt */
} templates;

/* dir: the admin's directory, relative to config_dir unless absolute (may
 * be absent). 0, or -1 with "file:line: message" in err (nothing loaded). */
int templates_load(templates *t, const char *config_dir, const char *dir, char *err,
                   size_t err_size);
void templates_free(templates *t);

/* The built-in text of a template, or NULL. */
const char *templates_builtin(const char *name);

#endif
