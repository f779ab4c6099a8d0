/* Messages for admins in their language (gettext, domain "agendad"): the
 * diagnostics of `agendad check` and of a reload, the command line's usage
 * and errors. Log lines for operators stay in English and are not marked.
 * po/README.md tells how to mark a string and update the catalogs.
 *
 * _("...") translates now; N_("...") only marks a string that is
 * translated later, where it is used (a noun given to an accessor as
 * `what`). ag_diags_add and ag_config_err look their format up themselves:
 * their callers pass it bare. */
#ifndef AGENDAD_I18N_H
#define AGENDAD_I18N_H

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>

#define AG_I18N_DOMAIN "agendad"

#define _(s) gettext(s)
#define N_(s) s

/* Takes the language of messages from the environment (LANGUAGE,
 * LC_ALL, LC_MESSAGES, LANG) for LC_MESSAGES alone: numbers, dates and
 * character classes stay those of the C locale, in feeds, /metrics and
 * config parsing alike. Finds the catalogs (ag_i18n_localedir) and asks
 * for UTF-8 whatever LC_CTYPE is. Call once, first thing in main. */
void ag_i18n_init(void);

/* Where the catalogs are looked for: $AGENDAD_LOCALEDIR when set, else
 * the installed locale directory relative to the executable (any
 * prefix), else "locale" beside the executable (the build tree), else
 * the configured one. Borrowed: valid until the next call. */
const char *ag_i18n_localedir(void);

/* _() of a `what` given as N_(): empty text stays empty (gettext("")
 * would answer the catalog's header). */
const char *ag_i18n_what(const char *what);

/* Whether the language of messages is written right to left. Each
 * catalog says so by translating the marker "default:LTR" as
 * "default:RTL" (as GTK's catalogs do): no list of languages to keep. */
bool ag_i18n_rtl(void);

/* text into buf as it is, or, in a right-to-left language, between
 * LEFT-TO-RIGHT ISOLATE and POP DIRECTIONAL ISOLATE (U+2066, U+2069), so
 * that a path or a location (events/x.yaml:12:3) reads left to right
 * inside Arabic text. Truncated to fit, never in the middle of a
 * character. Returns buf. */
const char *ag_i18n_ltr(char *buf, size_t size, const char *text);

#endif
