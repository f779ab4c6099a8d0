#include "check.h"

#include "plugin_check.h"
#include "plugin_i18n.h"
#include "plugin_opts.h"

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
void webhook_check(agendad_check *c, const agendad_host *h, agendad_plugin *self)
{
    if (!po_opt(h, self, "url"))
        h->check_error(c, NULL, "%s", P_("url is required"));
    bool empty = true;
    const agendad_config_node *at = NULL;
    int rc = po_check_secret(h, self, c, "secret_file", "secret_credential", PN_("webhook secret"),
                             &empty, &at);
    if (rc == 0 || (rc > 0 && empty))
        h->check_error(c, at, "%s",
                       P_("secret_file (or secret_credential) is required and must not be empty: "
                          "receivers check the signature"));
}
#endif
