/* UTF-8 helpers for text the daemon cuts or checks. */
#ifndef AGENDAD_UTF8_H
#define AGENDAD_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* After a bounded snprintf into buf (size bytes) that may have truncated,
 * drops a trailing partial UTF-8 sequence so that Arabic text is never cut
 * in the middle of a character. */
void ag_utf8_fix_truncation(char *buf, size_t size);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool ag_utf8_valid(const char *s, size_t len);

#endif
