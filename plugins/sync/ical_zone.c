/* Time zones of members' feeds: the feed's own VTIMEZONE blocks, IANA names,
 * and the Windows names Outlook and Exchange write (TZID:Romance Standard
 * Time), which CLDR maps to IANA zones in its windowsZones table. ICU ships
 * that table (ucal_getTimeZoneIDForWindowsID), so no copy of it lives here. */
#include "ical_import.h"

#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

const char *si_windows_zone(const char *name)
{
    static char out[128];
    UChar win[128], iana[128];
    if (!name || strlen(name) >= sizeof win / sizeof win[0])
        return NULL;
    u_uastrcpy(win, name);
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = ucal_getTimeZoneIDForWindowsID(win, -1, NULL, iana, 128, &st);
    if (U_FAILURE(st) || len <= 0 || len >= 128)
        return NULL;
    u_austrncpy(out, iana, sizeof out - 1);
    out[sizeof out - 1] = '\0';
    return out;
}
