/**
 * Deliveries of an event, found without an index by event. A delivery of an event's own fan-out
 * (origin '') has an id made from its event and endpoint (fanOutDeliveryId): it sorts in its
 * event's millisecond, and a second fan-out of the same event to the same endpoint conflicts on the
 * primary key. So those are found by a range of the primary key, and the unique index by event,
 * endpoint and origin (a row written per delivery) is kept only for the other origins (resends,
 * replays and test sends: deliveries_other_origin, partial). A log that held deliveries when it
 * met v12 keeps its deliveries_origin index and reads through it (`byIndex`).
 */
import { type SQL, sql } from "drizzle-orm";
import { idFrom, placementOf, shardOf, withPlacement } from "../db/ids";
import { deliveries } from "./schema";

/**
 * The ids of the deliveries of event `eventId`'s own fan-out to each of `endpointIds`, in the
 * event's place. A body is the event's time, the last 6 characters of its random part (they count
 * up between ids one isolate makes in the same millisecond, so deliveries keep their events' order)
 * and 10 characters (50 bits) hashed from event and endpoint. Two endpoints of one event that hash
 * alike are told apart: the one that sorts first keeps the plain hash, the next one hashes again
 * with a salt, so no delivery is ever refused as a repeat of another's.
 */
export function fanOutDeliveryIds(eventId: string, endpointIds: string[]): Map<string, string> {
  const start = eventId.indexOf("_") + 1;
  const body = eventId.slice(start, start + 26);
  const head = body.slice(0, 10) + body.slice(20);
  const taken = new Set<string>();
  const out = new Map<string, string>();
  for (const endpointId of [...endpointIds].sort()) {
    let id = "";
    for (let salt = 0; salt === 0 || taken.has(id); salt++)
      id = idFrom("dlv", head, salt === 0 ? `${body}|${endpointId}` : `${body}|${endpointId}|${salt}`);
    taken.add(id);
    out.set(endpointId, withPlacement(id, placementOf(eventId), shardOf(eventId)));
  }
  return out;
}

/** SQL text: the range of delivery ids that holds the own fan-out of the event whose id is the SQL expression `event`. */
const ownRange = (d: string, event: string) =>
  `${d}.id BETWEEN 'dlv_' || substr(${event}, 5, 10) AND 'dlv_' || substr(${event}, 5, 10) || '~'`;

/**
 * SQL text: `d` (a deliveries alias) is a delivery of the event whose id is the SQL expression
 * `event` (a column, or `?`: then bind eventParams). `own`: only its own fan-out's (origin '').
 * Every form reads through an index (the primary key's range, the partial index): an OR of the
 * two would make SQLite scan the table, so the two are a UNION ALL.
 */
export function ofEventSql(d: string, event: string, byIndex: boolean, own = false): string {
  if (byIndex) return `${d}.event_id = ${event}${own ? ` AND ${d}.origin = ''` : ""}`;
  const mine = (o: string) => `${ownRange(o, event)} AND ${o}.event_id = ${event} AND ${o}.origin = ''`;
  if (own) return mine(d);
  return `${d}.id IN (SELECT o.id FROM deliveries o WHERE ${mine("o")} UNION ALL SELECT o.id FROM deliveries o WHERE o.origin <> '' AND o.event_id = ${event})`;
}

/** The parameters that bind ofEventSql's `?` to `eventId`. */
export const eventParams = (eventId: string, byIndex: boolean, own = false): string[] =>
  Array.from({ length: byIndex ? 1 : own ? 3 : 4 }, () => eventId);

/** Drizzle condition: a delivery (of `deliveries`) of any of these events. */
export function ofEvents(eventIds: string[], byIndex: boolean): SQL {
  const list = JSON.stringify(eventIds);
  if (byIndex) return sql`${deliveries.eventId} IN (SELECT value FROM json_each(${list}))`;
  return sql`${deliveries.id} IN (SELECT o.id FROM json_each(${list}) j, deliveries o WHERE ${sql.raw(ofEventSql("o", "j.value", false, true))}
    UNION ALL SELECT o.id FROM json_each(${list}) j, deliveries o WHERE o.origin <> '' AND o.event_id = j.value)`;
}

/**
 * Drops the index of deliveries by event in a log with no delivery yet (a new segment, or one
 * wiped), where ids and the partial index find them. Answers whether the log keeps it.
 */
export function settleEventIndex(sql: SqlStorage): boolean {
  const any = sql.exec("SELECT 1 FROM deliveries LIMIT 1").toArray().length > 0;
  if (!any) sql.exec("DROP INDEX IF EXISTS deliveries_origin");
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'deliveries_origin'").toArray().length > 0
  );
}
