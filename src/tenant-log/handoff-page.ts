/**
 * Pages of deliveries to hand to dispatchers, bounded in bytes whatever the payloads. A page names
 * deliveries and their events' metadata; payloads ride along only while the page has room for them
 * (small ones, the common case, cost the dispatcher no read), and any other the dispatcher loads
 * by event id before its attempt (TenantLog.payloads, in pages of PAYLOAD_PAGE_BYTES). One page is
 * one RPC answer of the TenantLog and, per endpoint, at most one RPC to a dispatcher: both stay far
 * under the 32 MiB Cloudflare caps an RPC's arguments and answer at, and a queue consumer that fans
 * out 50 tenants side by side holds 50 pages, not 5,000 payloads × endpoints.
 */
import { type SQL, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { LanePlace } from "./lanes";
import type * as schema from "./schema";
import { deliveries as deliveryRows, events } from "./schema";
import type { FanoutPlan, HandoffEvent } from "./types";

type Db = DrizzleSqliteDODatabase<typeof schema>;

/**
 * Bytes one page may answer (deliveries, event metadata and inline payloads, as JSON): 1/64 of the
 * 32 MiB RPC cap, so one consumer batch of 50 tenants holds ~25 MiB of pages at most, well inside
 * an isolate's 128 MB.
 */
export const HANDOFF_PAGE_BYTES = 512 * 1024;
/** Of a page, the bytes payloads may fill inline; the rest are loaded by id by the dispatcher. */
export const HANDOFF_INLINE_BYTES = 128 * 1024;
/** Deliveries one page names at most (~120 bytes each): bounds the page's rows whatever their size. */
export const HANDOFF_PAGE_DELIVERIES = 1000;
/**
 * Bytes of payloads one TenantLog.payloads answer carries: at least one payload whole (an ingest
 * body is at most 1 MiB, src/http/body-limit.ts), and 1/8 of the 32 MiB RPC cap.
 */
export const PAYLOAD_PAGE_BYTES = 4 * 1024 * 1024;

/** What one delivery costs a page as JSON: its three ids and the keys around them. */
const DELIVERY_JSON_OVERHEAD = 40;

export interface HandoffRef {
  id: string;
  eventId: string;
  endpointId: string;
  lane?: LanePlace | null;
}

/** An event's metadata (no payload) and its payload's size in bytes. */
type EventMeta = Omit<HandoffEvent, "payload"> & { bytes: number };

/** `column IN (the list)`, bound as one JSON parameter whatever the list's length. */
/** `column IN (values)` as one JSON parameter: DO SQLite binds at most 100, and a page may name more ids. */
export const inList = (column: SQLiteColumn, values: string[]): SQL =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;

/** Events' metadata and payload sizes, without reading any payload into memory. */
export function eventMeta(db: Db, ids: string[]): Map<string, EventMeta> {
  if (!ids.length) return new Map();
  const rows = db
    .select({
      id: events.id,
      tenantId: events.tenantId,
      type: events.type,
      channels: events.channels,
      orderingKey: events.orderingKey,
      deliverAt: events.deliverAt,
      expiresAt: events.expiresAt,
      createdAt: events.createdAt,
      traceId: events.traceId,
      traceFlags: events.traceFlags,
      bytes: sql<number>`length(CAST(${events.payload} AS BLOB))`,
    })
    .from(events)
    .where(inList(events.id, ids))
    .all();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Payloads of the given events (the caller has bounded their bytes). */
export function payloadsOf(db: Db, ids: string[]): Map<string, string> {
  if (!ids.length) return new Map();
  const rows = db.select({ id: events.id, payload: events.payload }).from(events).where(inList(events.id, ids)).all();
  return new Map(rows.map((r) => [r.id, r.payload]));
}

/**
 * The longest prefix of `refs` that fits one page (at least one delivery), with its events.
 * Answers the page and how many refs it took; a delivery whose event is gone (purged) is taken
 * and left out, so the caller moves past it.
 */
export function handoffPage(db: Db, refs: HandoffRef[]): { plan: FanoutPlan; taken: number } {
  const meta = eventMeta(db, [...new Set(refs.slice(0, HANDOFF_PAGE_DELIVERIES).map((r) => r.eventId))]);
  const deliveries: HandoffRef[] = [];
  const chosen = new Map<string, EventMeta>();
  let bytes = 0;
  let taken = 0;
  for (const ref of refs.slice(0, HANDOFF_PAGE_DELIVERIES)) {
    const event = meta.get(ref.eventId);
    const cost =
      ref.id.length +
      ref.eventId.length +
      ref.endpointId.length +
      DELIVERY_JSON_OVERHEAD +
      (event && !chosen.has(event.id) ? metaBytes(event) : 0);
    if (taken > 0 && bytes + cost > HANDOFF_PAGE_BYTES - HANDOFF_INLINE_BYTES) break;
    bytes += cost;
    taken++;
    if (!event) continue;
    chosen.set(event.id, event);
    deliveries.push(ref);
  }
  // Payloads inline, in page order, while they fit; a larger one is loaded by id later.
  let inline = 0;
  const inlineIds: string[] = [];
  for (const event of chosen.values()) {
    if (inline + event.bytes > HANDOFF_INLINE_BYTES) continue;
    inline += event.bytes;
    inlineIds.push(event.id);
  }
  const payloads = payloadsOf(db, inlineIds);
  const places = placesOf(
    db,
    deliveries.map((d) => d.id),
  );
  const list: HandoffEvent[] = [...chosen.values()].map(({ bytes: _bytes, ...m }) => ({
    ...m,
    payload: payloads.get(m.id) ?? null,
  }));
  const placed = deliveries.map((d) => ({ ...d, lane: places.get(d.id) ?? null }));
  return { plan: { events: list, deliveries: placed }, taken };
}

/** The lane places (./lanes.ts) of the keyed ones among these deliveries. */
function placesOf(db: Db, ids: string[]): Map<string, LanePlace> {
  if (!ids.length) return new Map();
  const rows = db
    .select({
      id: deliveryRows.id,
      n: deliveryRows.sequence,
      prev: deliveryRows.sequencePrev,
      epoch: deliveryRows.sequenceEpoch,
    })
    .from(deliveryRows)
    .where(sql`${inList(deliveryRows.id, ids)} AND ${deliveryRows.sequence} IS NOT NULL`)
    .all();
  return new Map(rows.map((r) => [r.id, { n: r.n!, prev: r.prev, epoch: r.epoch ?? 0 }]));
}

/** An event's metadata as JSON costs about this much of a page. */
function metaBytes(e: EventMeta): number {
  return JSON.stringify(e).length;
}

/**
 * Payloads of `ids` in order, while they fit PAYLOAD_PAGE_BYTES (at least one). `covered` says how
 * many ids from the front this page answered (an id whose event is gone counts, and is absent).
 */
export function payloadPage(db: Db, ids: string[]): { payloads: Record<string, string>; covered: number } {
  const meta = eventMeta(db, [...new Set(ids)]);
  const take: string[] = [];
  let bytes = 0;
  let covered = 0;
  for (const id of ids) {
    const size = meta.get(id)?.bytes ?? 0;
    if (covered > 0 && bytes + size > PAYLOAD_PAGE_BYTES) break;
    bytes += size;
    covered++;
    if (meta.has(id)) take.push(id);
  }
  return { payloads: Object.fromEntries(payloadsOf(db, [...new Set(take)])), covered };
}
