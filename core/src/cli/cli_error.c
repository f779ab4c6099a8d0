#include "cli_error.h"

#include "i18n.h"

#include <stdarg.h>

void ag_cli_error(FILE *err, const char *command, const char *fmt, ...)
{
    char who[256], ltr[sizeof who + 8];
    snprintf(who, sizeof who, "agendad%s%s", command ? " " : "", command ? command : "");
    fprintf(err, "%s: ", ag_i18n_ltr(ltr, sizeof ltr, who));
    va_list ap;
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
}
