#include "error.h"

#include "agendad/plugin.h"

#include <string.h>

const char *ag_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define AG__XX(name, value, msg)                                                                   \
    case AG_##name:                                                                                \
        return msg;
        AG_ERROR_MAP(AG__XX)
#undef AG__XX
    default:
        break;
    }
    const char *sys = code < 0 && code > AG__EOWN(0) ? strerrordesc_np(-code) : NULL;
    return sys ? sys : "unknown error";
}

const char *ag_err_errno(int errnum)
{
    const char *s = strerrordesc_np(errnum);
    return s ? s : "Unknown error";
}

const char *ag_err_name(int code)
{
    switch (code) {
    case 0:
        return "OK";
#define AG__XX(name, value, msg)                                                                   \
    case AG_##name:                                                                                \
        return #name;
        AG_ERROR_MAP(AG__XX)
#undef AG__XX
    default:
        return "UNKNOWN";
    }
}

/* Every AGENDAD_E* code and the AG_E* code of the same name. */
#define AG_ABI_MAP(XX)                                                                             \
    XX(EINVAL) XX(ESTATE) XX(EEXIST) XX(ENOMEM) XX(ENOENT) XX(ERANGE) XX(EZONE) XX(EPLUGIN)

int ag_err_from_abi(int abi_code)
{
    switch (abi_code) {
    case 0:
        return 0;
#define AG__XX(name)                                                                               \
    case AGENDAD_##name:                                                                           \
        return AG_##name;
        AG_ABI_MAP(AG__XX)
#undef AG__XX
    default:
        return AG_EUNKNOWN;
    }
}

int ag_err_to_abi(int code)
{
    switch (code) {
    case 0:
        return 0;
#define AG__XX(name)                                                                               \
    case AG_##name:                                                                                \
        return AGENDAD_##name;
        AG_ABI_MAP(AG__XX)
#undef AG__XX
    default:
        return AGENDAD_EPLUGIN;
    }
}
