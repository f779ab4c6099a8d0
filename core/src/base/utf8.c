#include "utf8.h"

#include <string.h>

static size_t seq_len(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

void ag_utf8_fix_truncation(char *buf, size_t size)
{
    size_t len = strnlen(buf, size);
    if (len + 1 < size || len == 0)
        return; /* not truncated */
    /* Walk back to the lead byte of the last sequence. */
    size_t i = len;
    while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    size_t need = seq_len((unsigned char)buf[i - 1]);
    if (need > 1 && len - (i - 1) < need)
        buf[i - 1] = '\0';
}

bool ag_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len(p[i]);
        if (n == 0 || i + n > len)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        if ((p[i] == 0xE0 && p[i + 1] < 0xA0) || (p[i] == 0xED && p[i + 1] > 0x9F) ||
            (p[i] == 0xF0 && p[i + 1] < 0x90) || (p[i] == 0xF4 && p[i + 1] > 0x8F))
            return false;
        i += n;
    }
    return true;
}
