#include "templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_TEMPLATE_BYTES (1024 * 1024)

/* Generated from templates/ by embed.cmake. */
typedef struct {
    const char *name;
    const char *text;
} builtin_template;
extern const builtin_template agenda_builtin_templates[];
extern const size_t agenda_builtin_count;

const char *templates_builtin(const char *name)
{
    for (size_t i = 0; i < agenda_builtin_count; i++)
        if (strcmp(agenda_builtin_templates[i].name, name) == 0)
            return agenda_builtin_templates[i].text;
    return NULL;
}

typedef struct {
    char dir[4096]; /* "" when the admin has no directory */
} source;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = malloc(MAX_TEMPLATE_BYTES + 1);
    size_t len = text ? fread(text, 1, MAX_TEMPLATE_BYTES + 1, f) : 0;
    fclose(f);
    if (!text || len > MAX_TEMPLATE_BYTES) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* The admin's file first, then the built-in template. */
static char *load(const char *name, void *data)
{
    const source *src = data;
    if (src->dir[0]) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", src->dir, name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return read_file(path);
    }
    const char *text = templates_builtin(name);
    return text ? strdup(text) : NULL;
}

static void resolve_dir(source *src, const char *config_dir, const char *dir)
{
    src->dir[0] = '\0';
    if (!dir)
        return;
    if (dir[0] == '/' || !config_dir)
        snprintf(src->dir, sizeof src->dir, "%s", dir);
    else
        snprintf(src->dir, sizeof src->dir, "%s/%s", config_dir, dir);
}

static tmpl_format format_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".md") == 0)
        return TMPL_MARKDOWN;
    if (dot && strcmp(dot, ".txt") == 0)
        return TMPL_TEXT;
    return TMPL_HTML;
}

int templates_load(templates *t, const char *config_dir, const char *dir, char *err,
                   size_t err_size)
{
    source src;
    resolve_dir(&src, config_dir, dir);
    struct {
        const char *name;
        tmpl **slot;
    } want[] = {{"index.html", &t->index},
                {"event.html", &t->event},
                {"agenda.md", &t->agenda_md},
                {"agenda.txt", &t->agenda_txt}};
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        *want[i].slot = tmpl_load(want[i].name, format_of(want[i].name), load, &src, err, err_size);
        if (!*want[i].slot) {
            templates_free(t);
            return -1;
        }
    }
    return 0;
}

void templates_free(templates *t)
{
    tmpl_free(t->index);
    tmpl_free(t->event);
    tmpl_free(t->agenda_md);
    tmpl_free(t->agenda_txt);
    memset(t, 0, sizeof *t);
}
