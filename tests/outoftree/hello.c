/* A plugin built out of tree, against the installed header only:
 *   cc -shared -fPIC $(pkg-config --cflags agendad-plugin) hello.c -o hello.so
 * It answers GET /plugins/hello with a greeting and the event count. */
#include <agendad/plugin.h>

#include <stdio.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
} hello_state;

static hello_state the_state;

static void hello(agendad_request *req, void *data)
{
    hello_state *s = data;
    char body[128];
    int len = snprintf(body, sizeof body, "hello from out of tree: %zu events\n",
                       s->host->event_count(s->self));
    s->host->respond(req, 200, "text/plain", body, (size_t)len, NULL);
}

static int hello_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    (void)state;
    the_state.host = host;
    the_state.self = self;
    return host->register_route(self, "/plugins/hello", hello, &the_state);
}

AGENDAD_PLUGIN_DECLARE("hello", "1.0", hello_init, NULL);
