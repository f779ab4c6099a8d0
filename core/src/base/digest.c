#include "digest.h"

#include "error.h"

#include <errno.h>
#include <gcrypt.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

/* libgcrypt wants gcry_check_version() before any other call. Secure
 * memory is for keys held long; a hash of public bytes needs none, and
 * without it the library locks no memory and drops no privileges. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool usable;

static void init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        if (!gcry_check_version(GCRYPT_VERSION))
            return;
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    usable = true;
}

int ag_sha256(const void *a, size_t alen, const void *b, size_t blen,
              unsigned char out[AG_SHA256_BYTES])
{
    pthread_once(&init_once, init);
    if (!usable)
        return AG_ECRYPTO;
    gcry_buffer_t iov[2] = {{.data = (void *)a, .len = alen}, {.data = (void *)b, .len = blen}};
    return gcry_md_hash_buffers(GCRY_MD_SHA256, 0, out, iov, b ? 2 : 1) == 0 ? 0 : AG_ECRYPTO;
}

int ag_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                   unsigned char out[AG_SHA256_BYTES])
{
    pthread_once(&init_once, init);
    if (!usable)
        return AG_ECRYPTO;
    gcry_mac_hd_t h;
    if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0)
        return AG_ECRYPTO;
    size_t len = AG_SHA256_BYTES;
    bool ok = gcry_mac_setkey(h, key, keylen) == 0 && gcry_mac_write(h, msg, msglen) == 0 &&
              gcry_mac_read(h, out, &len) == 0 && len == AG_SHA256_BYTES;
    gcry_mac_close(h);
    return ok ? 0 : AG_ECRYPTO;
}

void ag_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

bool ag_const_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

int ag_random_bytes(void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom((char *)buf + got, n - got, 0);
        if (r < 0 && errno != EINTR)
            return -errno;
        got += r > 0 ? (size_t)r : 0;
    }
    return 0;
}
