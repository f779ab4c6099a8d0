/* Who keeps a connection slot. A connection that waits for a request costs
 * a slot and little memory: "pending" ones have not sent a complete request
 * yet (just accepted, or dripping their header), "idle" ones wait on
 * keep-alive for their next request. At max_connections (or fewer when the
 * process may not open that many files: fit_fd_limit in http.c), a new
 * connection takes the place of the oldest pending one, else of the one
 * idle the longest, and is refused only when every other connection has a
 * request in progress. One address (IPv4, or an IPv6 /64) may hold
 * max_pending_per_address pending connections; its next one replaces its
 * own oldest. So a peer that opens sockets and says nothing can neither fill
 * the server nor keep anyone else out: it only churns its own. */
#include "http_internal.h"

#include "log.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ag_http_addr {
    ag_http_addr *next; /* hash chain */
    uint64_t key;
    int family;          /* 4 or 6 */
    ag_http_queue conns; /* its pending connections, oldest first */
};

#define CONN_OF(node, field) ((ag_http_conn *)((char *)(node)-offsetof(ag_http_conn, field)))

/* A warning at most this often, summing up what happened meanwhile. */
#define NOTE_EVERY_MS (60 * 1000)

static void queue_push(ag_http_queue *q, ag_http_node *n)
{
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->n++;
}

static void queue_remove(ag_http_queue *q, ag_http_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    n->prev = n->next = NULL;
    q->n--;
}

/* ---- addresses ---- */

/* IPv4 (also mapped into IPv6) by address, IPv6 by /64: one host or
 * network usually holds a whole /64. false for other families. */
static bool peer_key(const struct sockaddr_storage *a, uint64_t *key, int *family)
{
    if (a->ss_family == AF_INET) {
        const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
        *key = (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
        *family = 4;
        return true;
    }
    if (a->ss_family != AF_INET6)
        return false;
    const struct in6_addr *in6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
    const uint8_t *b = in6->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(in6)) {
        *key = (uint64_t)b[12] << 24 | (uint64_t)b[13] << 16 | (uint64_t)b[14] << 8 | b[15];
        *family = 4;
        return true;
    }
    *key = 0;
    for (int i = 0; i < 8; i++)
        *key = *key << 8 | b[i];
    *family = 6;
    return true;
}

static size_t bucket_of(const ag_http_server *s, uint64_t key, int family)
{
    uint64_t h = (key ^ (uint64_t)family) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (s->naddr_buckets - 1);
}

/* Doubles the table when it holds as many addresses as buckets; keeps the
 * old one when memory runs out (chains just grow longer). */
static void maybe_grow(ag_http_server *s)
{
    if (s->naddr_buckets && s->naddrs < s->naddr_buckets)
        return;
    size_t n = s->naddr_buckets ? s->naddr_buckets * 2 : 64;
    ag_http_addr **b = calloc(n, sizeof *b);
    if (!b)
        return;
    ag_http_addr **old = s->addrs;
    size_t nold = s->naddr_buckets;
    s->addrs = b;
    s->naddr_buckets = n;
    for (size_t i = 0; i < nold; i++)
        for (ag_http_addr *p = old[i], *next; p; p = next) {
            next = p->next;
            size_t k = bucket_of(s, p->key, p->family);
            p->next = b[k];
            b[k] = p;
        }
    free(old);
}

/* The entry of key, created if need be; NULL when memory ran out. */
static ag_http_addr *peer_get(ag_http_server *s, uint64_t key, int family)
{
    maybe_grow(s);
    if (!s->addrs)
        return NULL;
    size_t k = bucket_of(s, key, family);
    for (ag_http_addr *p = s->addrs[k]; p; p = p->next)
        if (p->key == key && p->family == family)
            return p;
    ag_http_addr *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->key = key;
    p->family = family;
    p->next = s->addrs[k];
    s->addrs[k] = p;
    s->naddrs++;
    return p;
}

static void peer_drop(ag_http_server *s, ag_http_addr *p)
{
    ag_http_addr **pp = &s->addrs[bucket_of(s, p->key, p->family)];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    s->naddrs--;
    free(p);
}

/* ---- waiting connections ---- */

static void stop_waiting(ag_http_conn *c)
{
    if (c->addr) {
        queue_remove(&c->addr->conns, &c->addr_node);
        if (c->addr->conns.n == 0)
            peer_drop(c->srv, c->addr);
        c->addr = NULL;
    }
    if (c->waiting_in) {
        queue_remove(c->waiting_in, &c->wait_node);
        c->waiting_in = NULL;
    }
}

/* One line a minute at most, so that a flood cannot flood the journal. */
static void note(ag_http_server *s)
{
    uint64_t now = uv_now(s->loop);
    if (s->noted_at && now - s->noted_at < NOTE_EVERY_MS)
        return;
    uint64_t evicted = s->stats.evicted + s->stats.evicted_by_address;
    ag_log(AG_LOG_WARNING,
           "http: %d connections open (max_connections %d, max_pending_per_address %d%s); "
           "since the last warning, %llu connections waiting for a request were closed to "
           "make room, %llu new connections refused",
           s->nconns - s->nclosing, s->limits.max_connections, s->limits.max_pending_per_address,
           s->fd_cap < s->limits.max_connections ? ", fewer for want of file descriptors" : "",
           (unsigned long long)(evicted - s->noted_evicted),
           (unsigned long long)(s->stats.refused - s->noted_refused));
    s->noted_at = now ? now : 1;
    s->noted_evicted = evicted;
    s->noted_refused = s->stats.refused;
}

static void evict(ag_http_conn *c, uint64_t *counter)
{
    ag_http_server *s = c->srv;
    (*counter)++;
    ag_http_conn_close(c);
    note(s);
}

static ag_http_conn *oldest(const ag_http_queue *q, const ag_http_conn *except)
{
    for (ag_http_node *n = q->head; n; n = n->next)
        if (CONN_OF(n, wait_node) != except)
            return CONN_OF(n, wait_node);
    return NULL;
}

/* The one to close for room: the oldest pending, else the longest idle,
 * never `except`; NULL when every other connection is busy. */
static ag_http_conn *victim(ag_http_server *s, const ag_http_conn *except)
{
    ag_http_conn *v = oldest(&s->pending, except);
    return v ? v : oldest(&s->idle, except);
}

void ag_http_admit_new(ag_http_conn *c, const struct sockaddr_storage *addr)
{
    ag_http_server *s = c->srv;
    queue_push(&s->pending, &c->wait_node);
    c->waiting_in = &s->pending;
    uint64_t key;
    int family;
    if (addr && peer_key(addr, &key, &family)) {
        c->addr = peer_get(s, key, family);
        if (!c->addr) {
            ag_log(AG_LOG_ERR, "out of memory admitting a connection: closed");
            ag_http_conn_close(c);
            return;
        }
        queue_push(&c->addr->conns, &c->addr_node);
        int limit = s->limits.max_pending_per_address;
        if (limit > 0 && c->addr->conns.n > limit) {
            /* c is the newest, so the head is another: its oldest. */
            evict(CONN_OF(c->addr->conns.head, addr_node), &s->stats.evicted_by_address);
            return;
        }
    }
    int cap = s->limits.max_connections < s->fd_cap ? s->limits.max_connections : s->fd_cap;
    if (s->nconns - s->nclosing <= cap)
        return;
    ag_http_conn *v = victim(s, c);
    if (v) {
        evict(v, &s->stats.evicted);
    } else {
        s->stats.refused++;
        ag_http_conn_close(c);
        note(s);
    }
}

void ag_http_admit_busy(ag_http_conn *c)
{
    stop_waiting(c);
}

void ag_http_admit_idle(ag_http_conn *c)
{
    stop_waiting(c);
    queue_push(&c->srv->idle, &c->wait_node);
    c->waiting_in = &c->srv->idle;
}

void ag_http_admit_gone(ag_http_conn *c)
{
    stop_waiting(c);
}

void ag_http_admit_free(ag_http_server *s)
{
    free(s->addrs);
    s->addrs = NULL;
    s->naddr_buckets = s->naddrs = 0;
}
