/* The daemon's handle on its network client. Creating it costs nothing:
 * the network module (agendad-net.so: net.c, libcurl and its dependency
 * chain) is loaded, and curl initialised, at the first transfer, so an
 * instance whose plugins never fetch or send never maps them.
 *
 * Where the module is: under ../lib/agendad/ relative to the executable's
 * own directory (the installed layout, whatever the prefix; the exact
 * relative path comes from the build's install directories), else next to
 * the executable (the build tree). A missing or unloadable module fails that
 * transfer and every later one, with one error in the log that names the
 * paths looked at. Once loaded, it stays until exit: libcurl and OpenSSL
 * keep process-wide state.
 *
 * Requests, results and threading are net.h's; call everything from the
 * loop's thread. curl_global_init() then runs on the loop's thread while
 * libuv's pool may have threads: Debian's libcurl is built thread-safe
 * (CURL_VERSION_THREADSAFE), and no other thread calls into curl before. */
#ifndef AGENDAD_NET_LAZY_H
#define AGENDAD_NET_LAZY_H

#include "net.h"

typedef struct ag_net_lazy ag_net_lazy;

/* Returns 0 or AG_ENOMEM. */
int ag_net_lazy_new(uv_loop_t *loop, ag_net_lazy **out);
/* As ag_net_free_fn (net.h): pending transfers' callbacks run before it returns.
 * NULL is a no-op. */
void ag_net_lazy_free(ag_net_lazy *l);

/* As ag_net_http() / ag_net_smtp(); AG_ENOENT when the module cannot be
 * loaded. */
int ag_net_lazy_http(ag_net_lazy *l, const ag_net_http_req *req, ag_net_done_fn done, void *data,
                     ag_net_xfer **out_handle);
int ag_net_lazy_smtp(ag_net_lazy *l, const ag_net_smtp_req *req, ag_net_done_fn done, void *data,
                     ag_net_xfer **out_handle);
/* As ag_net_cancel_fn (net.h). */
void ag_net_lazy_cancel(ag_net_xfer *x);

#endif
