#include "check.h"

#include "plugin_check.h"
#include "plugin_i18n.h"
#include "plugin_opts.h"

#include <string.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8

typedef struct {
    const agendad_host *h;
    agendad_plugin *self;
    agendad_check *c;
} member_walk;

/* members.yaml `reminders: {channels: [email]}` for a member without
 * `emails`: refused here rather than failing at every reminder. Once per
 * member, at the first such item; the words and the place are those the
 * core gave when it made this check itself. */
static int check_member(const agendad_member *m, void *data)
{
    member_walk *w = data;
    const agendad_host *h = w->h;
    if (h->member_email_count(w->self, m) > 0)
        return 0;
    const agendad_config_node *reminders = h->config_get(h->member_config(w->self, m), "reminders");
    const agendad_config_node *list = h->config_get(reminders, "channels");
    for (size_t i = 0; i < h->config_len(list); i++) {
        const agendad_config_node *item = h->config_item(list, i);
        const char *name = h->config_scalar(item);
        if (name && strcmp(name, "email") == 0) {
            h->check_error(w->c, item, P_("member \"%s\" has no \"emails\" for the email channel"),
                           h->member_id(w->self, m));
            break;
        }
    }
    return 0;
}

void email_check(agendad_check *c, const agendad_host *h, agendad_plugin *self)
{
    /* The daemon's plugin holds these since its start: only a check on
     * the command line reads them again. */
    if (po_command_line(h, self)) {
        if (!po_opt(h, self, "url") || !po_opt(h, self, "from"))
            h->check_error(c, NULL, "%s", P_("the email channel needs \"url\" and \"from\""));
        bool empty;
        po_check_secret(h, self, c, "password_file", "password_credential", PN_("SMTP password"),
                        &empty, NULL);
    }
    member_walk w = {h, self, c};
    h->member_foreach(self, check_member, &w);
}

#endif
