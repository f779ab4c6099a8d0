/* Questions about the network as configured: who is a member, which
 * categories exist, who is concerned by an event. */
#ifndef AGENDAD_CONFIG_NETWORK_H
#define AGENDAD_CONFIG_NETWORK_H

#include "config.h"

/* Lookups; NULL when absent. Borrowed from cfg. */
const ag_member *ag_config_member(const ag_config *cfg, const char *id);
const ag_category *ag_config_category(const ag_config *cfg, const char *id);
const ag_event *ag_config_event(const ag_config *cfg, const char *uid);

/* True when member_id hosts ev or is in its audience, directly or through a
 * selector: "network", "region:<its region, or itself if a region>",
 * "kind:<its kind>". */
bool ag_config_member_concerned(const ag_config *cfg, const ag_event *ev, const char *member_id);

/* True when ev has the category, or one of its slots has it as axis. */
bool ag_config_event_in_category(const ag_event *ev, const char *category_id);

/* True when sel is a well-formed audience selector naming things that exist
 * in cfg (used by config validation). */
bool ag_config_selector_valid(const ag_config *cfg, const char *sel);

#endif
