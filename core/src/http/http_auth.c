/* Bearer tokens (RFC 6750): the one comparison every guarded route uses
 * (/metrics and /status, the admin's views). */
#include "http_internal.h"

#include "digest.h"

#include <string.h>
#include <strings.h>

/* Both sides are hashed first, so that the comparison takes the same time
 * whatever the guess's length and however much of it is right. */
static bool same_token(const char *given, const char *token)
{
    unsigned char a[AG_SHA256_BYTES], b[AG_SHA256_BYTES];
    if (ag_sha256(given, strlen(given), NULL, 0, a) < 0 ||
        ag_sha256(token, strlen(token), NULL, 0, b) < 0)
        return false;
    return ag_const_equal(a, b, sizeof a);
}

ag_http_bearer ag_http_bearer_check(const ag_http_request *req, const char *token)
{
    const char *h = ag_http_header(req, "Authorization");
    if (!h)
        return AG_HTTP_BEARER_MISSING;
    if (strncasecmp(h, "Bearer ", 7) != 0 || !token)
        return AG_HTTP_BEARER_WRONG;
    const char *given = h + 7 + strspn(h + 7, " ");
    return same_token(given, token) ? AG_HTTP_BEARER_OK : AG_HTTP_BEARER_WRONG;
}
