#include "i18n.h"

#include "utf8.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(AGENDAD_LOCALE_RELDIR) || !defined(AGENDAD_LOCALEDIR)
#error "AGENDAD_LOCALE_RELDIR and AGENDAD_LOCALEDIR: where the catalogs are installed"
#endif

#define LRI "\xe2\x81\xa6" /* U+2066 LEFT-TO-RIGHT ISOLATE */
#define PDI "\xe2\x81\xa9" /* U+2069 POP DIRECTIONAL ISOLATE */

static char localedir[PATH_MAX];

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/rel into localedir when that is a directory. */
static bool try_dir(const char *dir, const char *rel)
{
    int n = snprintf(localedir, sizeof localedir, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < sizeof localedir && is_dir(localedir);
}

const char *ag_i18n_localedir(void)
{
    const char *env = getenv("AGENDAD_LOCALEDIR");
    if (env && *env && strlen(env) < sizeof localedir)
        return strcpy(localedir, env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? memrchr(exe, '/', (size_t)n) : NULL;
    if (slash) {
        *slash = '\0';
        if (try_dir(exe, AGENDAD_LOCALE_RELDIR) || try_dir(exe, "locale"))
            return localedir;
    }
    return strcpy(localedir, AGENDAD_LOCALEDIR);
}

void ag_i18n_init(void)
{
    setlocale(LC_MESSAGES, "");
    bindtextdomain(AG_I18N_DOMAIN, ag_i18n_localedir());
    /* The catalogs are UTF-8, and so is what agendad prints; LC_CTYPE
     * stays "C", under which gettext would turn Arabic into '?'. The C
     * library's own messages (strerror in a diagnostic) likewise. */
    bind_textdomain_codeset(AG_I18N_DOMAIN, "UTF-8");
    bind_textdomain_codeset("libc", "UTF-8");
    textdomain(AG_I18N_DOMAIN);
}

const char *ag_i18n_what(const char *what)
{
    return what && *what ? _(what) : what;
}

bool ag_i18n_rtl(void)
{
    /* TRANSLATORS: not a message. Write "default:RTL" if your language is
     * written right to left (Arabic): agendad then keeps file names and
     * locations left to right inside your text. Else keep "default:LTR". */
    return strcmp(_("default:LTR"), "default:RTL") == 0;
}

const char *ag_i18n_ltr(char *buf, size_t size, const char *text)
{
    bool rtl = ag_i18n_rtl();
    /* Room for the text, and for the closing isolate even when it is cut. */
    size_t room = rtl ? (size >= sizeof LRI + sizeof PDI - 1 ? size - sizeof PDI + 1 : 0) : size;
    if (!room) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    snprintf(buf, room, "%s%s", rtl ? LRI : "", text);
    ag_utf8_fix_truncation(buf, room);
    if (rtl)
        strcat(buf, PDI);
    return buf;
}
