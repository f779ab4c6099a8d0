/* `agendad export`: every feed written as files, byte-identical to what the
 * daemon serves for the same URL without query options. */
#ifndef AGENDAD_SERVICE_EXPORT_H
#define AGENDAD_SERVICE_EXPORT_H

#include "service.h"

/* Writes out_dir/feeds/network.ics, feeds/members/ID.ics,
 * feeds/categories/ID.ics and events/UID.ics (each replaced atomically,
 * its mtime set to the feed's Last-Modified), then out_dir/etags.map: one
 * nginx map line per file, "/URL/PATH '\"ETAG\"';", so that nginx can send
 * the daemon's ETags. Returns the number of files written, or a negative
 * AG_E* code with *err: the errno of a file that cannot be written, or
 * AG_EFEED for a feed that cannot be built. */
int ag_service_export(ag_service *svc, const char *out_dir, int64_t now, char **err);

#endif
