// Reads an iTIP message (RFC 5546) with ical.js (Thunderbird's parser) and
// prints what an invitation shows, as JSON: the METHOD and, per VEVENT, its
// uid, SEQUENCE, STATUS, RRULE, ORGANIZER and ATTENDEEs with the
// parameters a mail app reads to offer Accept / Decline.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));
const person = (p) => ({
  value: p.getFirstValue(),
  cn: p.getParameter("cn") ?? null,
  role: p.getParameter("role") ?? null,
  partstat: p.getParameter("partstat") ?? null,
  rsvp: p.getParameter("rsvp") ?? null,
});
const out = {
  method: root.getFirstPropertyValue("method"),
  events: root.getAllSubcomponents("vevent").map((c) => {
    const ev = new ICAL.Event(c);
    const org = c.getFirstProperty("organizer");
    return {
      uid: ev.uid,
      sequence: ev.sequence,
      status: c.getFirstPropertyValue("status"),
      rrule: c.getFirstPropertyValue("rrule")?.toString() ?? null,
      start: ev.startDate.convertToZone(ICAL.Timezone.utcTimezone).toString(),
      organizer: org ? person(org) : null,
      attendees: c.getAllProperties("attendee").map(person),
    };
  }),
};
process.stdout.write(JSON.stringify(out));
