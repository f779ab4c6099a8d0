/* The contract between the daemon and its network module, agendad-net.so:
 * net.c and libcurl (with curl's whole dependency chain: TLS, Kerberos,
 * LDAP, SSH...) live there, so that an instance whose plugins never fetch
 * or send maps none of it. The module exports one symbol, a table of the
 * net.h operations (pointers of their types); the daemon resolves nothing else. Internal: the
 * module and the daemon come from the same build, the version only catches a stale file. */
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
    ag_net_new_fn *create;
    ag_net_free_fn *destroy;
    ag_net_http_fn *http;
    ag_net_smtp_fn *smtp;
    ag_net_cancel_fn *cancel;
} ag_net_module;

#endif
