/* The contract between the daemon and its network module, agendad-net.so:
 * net.c and libcurl (with curl's whole dependency chain: TLS, Kerberos,
 * LDAP, SSH...) live there, so that an instance whose plugins never fetch
 * or send maps none of it. The module exports one symbol, a table of the
 * net.h functions; the daemon resolves nothing else. Internal: the module
 * and the daemon come from the same build, the version only catches a
 * stale file. */
#ifndef AGENDAD_NET_MODULE_H
#define AGENDAD_NET_MODULE_H

#include "log.h"
#include "net.h"

#define AG_NET_MODULE_FILE "agendad-net.so"
#define AG_NET_MODULE_SYMBOL "agendad_net_module"
#define AG_NET_MODULE_VERSION 2

typedef void (*ag_net_logv_fn)(ag_log_level level, const char *fmt, va_list ap);

typedef struct {
    unsigned version;
    size_t size;
    /* The daemon's log sink, so that the module's lines read like its own;
     * called once, before anything else. */
    void (*set_log)(ag_net_logv_fn logv);
    int (*create)(uv_loop_t *loop, ag_net **out);
    void (*destroy)(ag_net *n);
    int (*http)(ag_net *n, const ag_net_http_req *req, ag_net_done_fn done, void *data,
                ag_net_xfer **out_handle);
    int (*smtp)(ag_net *n, const ag_net_smtp_req *req, ag_net_done_fn done, void *data,
                ag_net_xfer **out_handle);
    void (*cancel)(ag_net_xfer *x);
} ag_net_module;

#endif
