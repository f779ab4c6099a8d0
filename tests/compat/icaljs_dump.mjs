// Reads an iCalendar file with ical.js (Thunderbird's parser) and prints what
// a subscriber's calendar would show, as JSON: per VEVENT its uid, summary,
// status, transparency, sequence, start/end instants in UTC, description,
// URL and RFC 7986 CONFERENCE (with the value type ical.js read it as);
// recurring series expanded (up to 50 occurrences) with ical.js's own
// handling of the VTIMEZONE.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const root = new ICAL.Component(ICAL.parse(text));
for (const vtz of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
}
const utc = (t) => t.convertToZone(ICAL.Timezone.utcTimezone).toString();
const out = {
  calname: root.getFirstPropertyValue("x-wr-calname"),
  events: root.getAllSubcomponents("vevent").map((c) => {
    const ev = new ICAL.Event(c);
    const e = {
      uid: ev.uid,
      summary: ev.summary,
      status: c.getFirstPropertyValue("status"),
      transp: c.getFirstPropertyValue("transp"),
      sequence: ev.sequence,
      start: ev.startDate.isDate ? ev.startDate.toString() : utc(ev.startDate),
      end: ev.endDate.isDate ? ev.endDate.toString() : utc(ev.endDate),
      related: c.getFirstPropertyValue("related-to"),
      description: ev.description,
      url: c.getFirstPropertyValue("url"),
      conference: c.getFirstPropertyValue("conference"),
      conference_type: c.getFirstProperty("conference")?.type ?? null,
    };
    if (ev.isRecurring()) {
      const it = ev.iterator();
      e.occurrences = [];
      for (let n = it.next(); n && e.occurrences.length < 50; n = it.next()) {
        e.occurrences.push(utc(ev.getOccurrenceDetails(n).startDate));
      }
    }
    return e;
  }),
};
process.stdout.write(JSON.stringify(out));
