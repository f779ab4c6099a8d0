/* An event's `documents:` (events/NAME.yaml): each a title, a kind, the
 * date it was published, and either a URL or a file under the config
 * directory's documents/, which the daemon serves itself. A file is checked
 * where it is: a relative path that stays inside documents/ (no "..", no
 * link leading out), an existing regular file of a type the daemon may
 * serve, within the size it serves. */
#include "config_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define AG_DOCUMENT_MAX_BYTES (32 << 20)
#define AG_DOCUMENT_MAX_PATH 255
#define AG_CFG_MAX_DOCUMENTS 50

/* Each segment is a name: not empty, not "." or "..", no control
 * character or backslash (a path another system could read otherwise). */
static bool path_ok(const char *p, const char **why)
{
    if (!p[0] || strlen(p) > AG_DOCUMENT_MAX_PATH) {
        *why = _("give a path of 1 to 255 bytes under the documents/ folder");
        return false;
    }
    if (p[0] == '/') {
        *why = _("give the path relative to the documents/ folder of the config, not an "
                 "absolute path");
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\') {
            *why = _("a control character or a backslash has no place in a file name");
            return false;
        }
    const char *seg = p;
    for (;;) {
        size_t len = strcspn(seg, "/");
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && strncmp(seg, "..", 2) == 0)) {
            *why = _("each part of the path must be a name: no empty part, \".\" or \"..\"");
            return false;
        }
        if (!seg[len])
            return true;
        seg += len + 1;
    }
}

/* The file exists under dir/documents/, is regular, stays inside it once
 * links are resolved, and is not too large. */
static bool file_ok(const char *cfg_dir, const char *file, char *why_buf, size_t size)
{
    char *root = NULL, *path = NULL, *real_root = NULL, *real = NULL;
    bool ok = false;
    struct stat sb;
    if (asprintf(&root, "%s/documents", cfg_dir) < 0 ||
        asprintf(&path, "%s/documents/%s", cfg_dir, file) < 0) {
        snprintf(why_buf, size, "%s", _("out of memory"));
        goto out;
    }
    if (stat(path, &sb) != 0) {
        snprintf(why_buf, size, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(why_buf, size, _("%s is not a regular file"), path);
        goto out;
    }
    real_root = realpath(root, NULL);
    real = realpath(path, NULL);
    size_t rl = real_root ? strlen(real_root) : 0;
    if (!real_root || !real || strncmp(real, real_root, rl) != 0 || real[rl] != '/') {
        snprintf(why_buf, size, _("%s leads out of the documents/ folder (a link?)"), path);
        goto out;
    }
    if (sb.st_size > AG_DOCUMENT_MAX_BYTES) {
        snprintf(why_buf, size,
                 _("%s is larger than the %d MiB the daemon serves: link to it with url: "
                   "instead"),
                 path, AG_DOCUMENT_MAX_BYTES >> 20);
        goto out;
    }
    ok = true;
out:
    free(root);
    free(path);
    free(real_root);
    free(real);
    return ok;
}

static void load_file(const ag_config *cfg, const ag_event *ev, ag_document *doc,
                      const ag_config_node *n, ag_diags *d)
{
    const char *why;
    char buf[PATH_MAX + 128];
    if (!ag_config_string(d, n, N_("a document's file"), &doc->file))
        return;
    if (!path_ok(doc->file, &why)) {
        ag_config_err(d, &n->loc, "document file \"%s\": %s", doc->file, why);
    } else if (!ag_document_content_type(doc->file)) {
        ag_config_err(d, &n->loc,
                      "document file \"%s\" is not of a type the daemon serves: use one of %s, "
                      "or link to it with url:",
                      doc->file, ag_document_extensions);
    } else if (ev->visibility == AG_VIS_MEMBERS) {
        ag_config_err(d, &n->loc,
                      "document file \"%s\": the daemon serves files to anyone, and this event is "
                      "for members only; link to it with url: instead",
                      doc->file);
    } else if (!file_ok(cfg->dir, doc->file, buf, sizeof buf)) {
        ag_config_err(d, &n->loc, "document file \"%s\": %s", doc->file, buf);
    }
}

static void load_published(ag_document *doc, const ag_config_node *n, ag_diags *d)
{
    if (!ag_config_datetime(d, n, "published", &doc->published))
        return;
    if (!doc->published.is_date)
        ag_config_err(d, &n->loc,
                      "published is the day the document came out: write a date "
                      "such as 2026-04-10, without a time");
}

/* The source: exactly one of url and file. */
static void load_source(const ag_config *cfg, const ag_event *ev, ag_document *doc,
                        const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *url = ag_config_node_get(n, "url");
    const ag_config_node *file = ag_config_node_get(n, "file");
    if (url && file) {
        ag_config_err(d, &file->loc,
                      "a document has either url: (a link) or file: (under documents/), not both");
        return;
    }
    if (!url && !file) {
        ag_config_err(d, &n->loc,
                      "this document needs url: (a link) or file: (a file under documents/)");
        return;
    }
    if (url && ag_config_string(d, url, N_("a document's url"), &doc->url))
        ag_config_http_url(d, url, "url", doc->url);
    if (file)
        load_file(cfg, ev, doc, file, d);
}

static void load_document(const ag_config *cfg, const ag_event *ev, ag_document *doc,
                          const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"title", "kind", "published", "url", "file", NULL};
    if (!ag_config_check_keys(d, n, keys, N_("document")) && n->kind != AG_CFG_MAP)
        return;
    doc->loc = ag_config_loc_copy(d, &n->loc);
    const ag_config_node *v = ag_config_require(d, n, "title", N_("this document"));
    if (v)
        ag_config_text(d, v, N_("the document's title"), &doc->title);
    int kind;
    if ((v = ag_config_require(d, n, "kind", N_("this document"))) &&
        ag_config_choice(d, v, N_("document kind"), ag_document_kind_names, &kind))
        doc->kind = (ag_document_kind)kind;
    if ((v = ag_config_require(d, n, "published", N_("this document"))))
        load_published(doc, v, d);
    load_source(cfg, ev, doc, n, d);
}

void ag_config_load_event_documents(const ag_config *cfg, ag_event *ev, const ag_config_node *n,
                                    ag_diags *d)
{
    if (!ag_config_seq(d, n, "documents"))
        return;
    if (n->n > AG_CFG_MAX_DOCUMENTS)
        ag_config_err(d, &n->loc, "an event has at most %d documents, not %zu",
                      AG_CFG_MAX_DOCUMENTS, n->n);
    if (!n->n)
        return;
    ev->documents = calloc(n->n, sizeof *ev->documents);
    if (!ev->documents) {
        ag_config_oom(d, &n->loc, N_("these documents"));
        return;
    }
    /* Counted as they go, so that freeing the event frees what was read. */
    for (size_t i = 0; i < n->n; i++)
        load_document(cfg, ev, &ev->documents[ev->n_documents++], n->items[i], d);
}
