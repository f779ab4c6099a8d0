/* GET /documents/UID/PATH: the file documents of the events, served from
 * the config directory's documents/ folder. Only a path that one of the
 * stored events lists as its document is served (the URL never names a
 * file by itself), and only once its real path is still inside that
 * folder: no request can reach another file. Each file's bytes are kept as
 * a blob (strong ETag, Last-Modified the file's, conditional GET, HEAD)
 * until the file changes on disk, sent as they are (no gzip). */
#ifndef AGENDAD_DOCUMENTS_H
#define AGENDAD_DOCUMENTS_H

#include "http.h"
#include "service.h"

#include <stdbool.h>

typedef struct ag_documents ag_documents;

/* svc is borrowed: it must outlive the handle. NULL on out of memory. */
ag_documents *ag_documents_new(ag_service *svc);
void ag_documents_free(ag_documents *d);

/* Answers req when its path is under /documents/ (true), else leaves it
 * (false). */
bool ag_documents_dispatch(ag_documents *d, ag_http_request *req);

#endif
