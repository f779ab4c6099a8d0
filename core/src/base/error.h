/* Error codes: one table for the whole core (AG_ERROR_MAP, as libuv's
 * UV_ERRNO_MAP), named by ag_strerror() inside the daemon as well as at the
 * plugin ABI.
 *
 * The convention inside core:
 *
 *   - An operation returns 0 (or a count, or another non-negative answer
 *     its comment names) on success and a negative AG_E* code on failure,
 *     never a bare -1. Callers test `< 0` (or `!= 0` when only 0 is
 *     success), and compare with a particular code only where they act on
 *     it.
 *   - A predicate (is, has, known, equal) returns bool.
 *   - When the reader must be told more than the code (which file, which
 *     statement, sqlite's own message), the operation also takes
 *     `char **err` and on failure sets a malloc'd message, which the caller
 *     frees (NULL when even that allocation failed). The message is the
 *     text that is logged or printed.
 *   - What an admin must read about a config goes to ag_diags (diag.h), one
 *     "file:line:col: message" each; the loader returns AG_ECONFIG to say
 *     that there are some, and a step tells whether it found any by
 *     comparing ag_diags_count() (which counts a diagnostic that memory ran
 *     out to keep).
 *   - System errors keep their errno identity: AG_ENOMEM == -ENOMEM, so a
 *     -errno, or a libuv code (UV_E* is -errno on Unix), already is an AG_E*
 *     code. agendad's own codes sit from -5000 down, where no errno (the
 *     kernel's are at most 4095) nor libuv code can be.
 *   - Out of memory is AG_ENOMEM and never passes without a word: the
 *     operation fails with it, or a config loader adds a diagnostic.
 *   - A callback handed to a library answers in that library's terms
 *     (llhttp's -1, curl's, sqlite's): those are not operations. Nor is a
 *     function whose result is a value of its own (an instant, a port, an
 *     fd, an index): its comment names the sentinel or the *ok it sets.
 *
 * The messages of the codes the plugin ABI shares (AGENDAD_E*, see
 * ag_err_from_abi) are the words plugins have always logged: keep them. */
#ifndef AGENDAD_ERROR_H
#define AGENDAD_ERROR_H

#include <errno.h>

#define AG__EOWN(n) (-5000 - (n))

/* XX(name, value, message). EINVAL, ESTATE, EEXIST, ENOMEM, ENOENT, ERANGE,
 * EZONE and EPLUGIN are also the plugin ABI's codes: their words are the
 * ABI's. EUNKNOWN stands for a value that is no code (ag_err_from_abi). */
#define AG_ERROR_MAP(XX)                                                                           \
    XX(ENOENT, -ENOENT, "not found")                                                               \
    XX(EIO, -EIO, "input/output error")                                                            \
    XX(ENOMEM, -ENOMEM, "out of memory")                                                           \
    XX(ENOTDIR, -ENOTDIR, "not a directory")                                                       \
    XX(EBUSY, -EBUSY, "resource busy")                                                             \
    XX(EEXIST, -EEXIST, "already registered")                                                      \
    XX(EINVAL, -EINVAL, "invalid argument")                                                        \
    XX(ERANGE, -ERANGE, "out of range")                                                            \
    XX(ECANCELED, -ECANCELED, "cancelled")                                                         \
    XX(ESHUTDOWN, -ESHUTDOWN, "shutting down")                                                     \
    XX(EUNKNOWN, AG__EOWN(0), "unknown error")                                                     \
    XX(ESTATE, AG__EOWN(1), "not allowed outside init")                                            \
    XX(EZONE, AG__EOWN(2), "unknown time zone")                                                    \
    XX(EPLUGIN, AG__EOWN(3), "plugin failure")                                                     \
    XX(ESTORE, AG__EOWN(4), "state database error")                                                \
    XX(ECORRUPT, AG__EOWN(5), "corrupt data in the state database")                                \
    XX(ECONFIG, AG__EOWN(6), "the configuration has errors")                                       \
    XX(ECRYPTO, AG__EOWN(7), "hashing unavailable")                                                \
    XX(EFEED, AG__EOWN(8), "cannot build the feed")

enum {
#define AG__XX(name, value, msg) AG_##name = (value),
    AG_ERROR_MAP(AG__XX)
#undef AG__XX
};

/* What went wrong, in a few lowercase words; static storage. 0 is
 * "success"; an errno value outside the table gets the system's words
 * (strerrordesc_np); anything else "unknown error". */
const char *ag_strerror(int code);
/* The code's name without the prefix ("ENOMEM", "ESTORE"); "OK" for 0,
 * "UNKNOWN" for a code the table does not hold. Static storage. */
const char *ag_err_name(int code);
/* strerror(errnum)'s words, in English whatever LC_MESSAGES: for log lines
 * and the messages that end up in them (strerror is translated once
 * ag_i18n_init has run). Static storage. */
const char *ag_err_errno(int errnum);

/* The plugin ABI keeps its own frozen values (AGENDAD_E* in
 * agendad/plugin.h); each is one AG_E* code of the same name. 0 stays 0;
 * a value the ABI does not define becomes AG_EUNKNOWN. */
int ag_err_from_abi(int abi_code);
/* The other way: the ABI code of the same name, 0 for 0, and
 * AGENDAD_EPLUGIN for a code the ABI does not have. */
int ag_err_to_abi(int code);

#endif
