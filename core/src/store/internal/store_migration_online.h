/* Schema step 7: an event's online meeting link (events.yaml `online_url`),
 * published content like the other columns of events, so that changing it
 * raises SEQUENCE. In its own file so that schema steps added on other
 * branches merge as one line each in store.c's list. Rows written before
 * read as NULL: no link, which is what they had. */
#ifndef AGENDAD_STORE_MIGRATION_ONLINE_H
#define AGENDAD_STORE_MIGRATION_ONLINE_H

#define AG_STORE_ONLINE_URL_SCHEMA "ALTER TABLE events ADD COLUMN online_url TEXT;"

#endif
