#include "mailin_proto.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

/* An envelope address as a header line may carry it: printable ASCII or
 * UTF-8, no spaces or controls, bounded. */
static bool header_safe(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] <= ' ' || s[n] == 0x7f)
            return false;
    return n > 0 && n < 512;
}

int ag_mailin_head_write(char *buf, size_t size, size_t len, const char *rcpt)
{
    bool with_rcpt = rcpt && header_safe(rcpt);
    int n = snprintf(buf, size, "%s\nLength: %zu\n%s%s%s\n", AG_MAILIN_MAGIC, len,
                     with_rcpt ? "Recipient: " : "", with_rcpt ? rcpt : "", with_rcpt ? "\n" : "");
    return n < 0 || (size_t)n >= size ? AG_ERANGE : n;
}

static int parse_length(const char *v, size_t *len)
{
    if (*v < '0' || *v > '9')
        return AG_EINVAL;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end)
        return AG_EINVAL;
    if (n > AG_MAILIN_MAX_MESSAGE)
        return AG_ERANGE;
    *len = (size_t)n;
    return 0;
}

/* One "Name: value" line of the head (NUL-terminated, without its \n). */
static int head_line(char *line, bool *have_len, size_t *len, char **rcpt)
{
    char *colon = strstr(line, ": ");
    if (!colon)
        return AG_EINVAL;
    *colon = '\0';
    const char *v = colon + 2;
    if (strcasecmp(line, "Length") == 0) {
        *have_len = true;
        return parse_length(v, len);
    }
    if (strcasecmp(line, "Recipient") == 0 && !*rcpt && header_safe(v))
        return (*rcpt = strdup(v)) ? 0 : AG_ENOMEM;
    return 0; /* a later version's line */
}

static int head_lines(char *head, size_t *len, char **rcpt)
{
    char *save = NULL;
    char *line = strtok_r(head, "\n", &save);
    if (!line || strcmp(line, AG_MAILIN_MAGIC) != 0)
        return AG_EINVAL;
    bool have_len = false;
    while ((line = strtok_r(NULL, "\n", &save))) {
        int rc = head_line(line, &have_len, len, rcpt);
        if (rc < 0)
            return rc;
    }
    return have_len ? 0 : AG_EINVAL;
}

int ag_mailin_head_read(const char *buf, size_t n, size_t *len, char **rcpt)
{
    *rcpt = NULL;
    size_t scan = n < AG_MAILIN_MAX_HEAD ? n : AG_MAILIN_MAX_HEAD;
    const char *end = NULL;
    for (size_t i = 0; i + 1 < scan && !end; i++)
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            end = buf + i;
    if (!end)
        return n >= AG_MAILIN_MAX_HEAD ? AG_EINVAL : 0;
    if (memchr(buf, '\0', (size_t)(end - buf)))
        return AG_EINVAL;
    char *head = strndup(buf, (size_t)(end - buf));
    if (!head)
        return AG_ENOMEM;
    int rc = head_lines(head, len, rcpt);
    free(head);
    if (rc < 0) {
        free(*rcpt);
        *rcpt = NULL;
        return rc;
    }
    return (int)(end - buf) + 2;
}

const char *ag_mailin_verdict_word(ag_mailin_verdict v)
{
    switch (v) {
    case AG_MAILIN_KEPT:
    case AG_MAILIN_DROPPED:
        return "OK";
    case AG_MAILIN_BOUNCED:
        return "DATAERR";
    default:
        return "TEMPFAIL";
    }
}

int ag_mailin_exit_code(const char *line)
{
    if (strncmp(line, "OK", 2) == 0 && (line[2] == ' ' || line[2] == '\n' || !line[2]))
        return EX_OK;
    if (strncmp(line, "DATAERR", 7) == 0 && (line[7] == ' ' || line[7] == '\n' || !line[7]))
        return EX_DATAERR;
    return EX_TEMPFAIL;
}
