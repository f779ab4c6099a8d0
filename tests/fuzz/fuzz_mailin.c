/* libFuzzer target: what a local client or a mail sender controls of
 * mail-in: the frame's head (mailin_proto.c) and the whole message
 * through GMime and libical (ag_mailin_parse), as the daemon runs them.
 * Seeds: the reply fixtures of tests/integration/fixtures/mailin/. */
#include "mailin.h"
#include "mailin_proto.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        ag_mailin_init();
        ready = 1;
    }
    size_t len = 0;
    char *rcpt = NULL;
    ag_mailin_head_read((const char *)data, size, &len, &rcpt);
    ag_mailin_reply r;
    if (ag_mailin_parse((const char *)data, size, rcpt, &r) == 0)
        ag_mailin_reply_clear(&r);
    free(rcpt);
    return 0;
}
