/**
 * A replay's questions to one TenantLog segment (src/services/replays.ts): which deliveries it
 * sends, in one fixed order, so the plan (dry run) and the run count the very same ones.
 * - `retry`: every delivery that matches the filter, created before the replay, is sent again as a
 *   new delivery of its event to its endpoint (origin `replay:<task id>`), so the original keeps its
 *   status and attempts. An event with several matching deliveries to one endpoint (a resend, an
 *   earlier replay) is sent once: its first matching delivery stands for it.
 * - `missing`: every event in the window that matches an endpoint's subscription now and has no
 *   delivery to it at all gets the delivery its fan-out would have written (origin ""), so the
 *   fan-out, a second replay or a resumed page never write it twice.
 * Both walk in id order after a cursor, a page at a time; nothing here reads a table whole.
 */
import { eventFilterScope } from "../delivery/filter";
import { endpointMatches, type RoutableEndpoint } from "../delivery/match";
import type { StatusClass } from "../domain/deliveries";
import { eventParams, ofEventSql } from "./event-deliveries";
import { fannedOut } from "./fanned-out";

/**
 * Payload bytes one missing-mode page reads to run endpoint filters (at least one event whole; an
 * ingest body is at most 1 MiB): the fan-out's own bound (FANOUT_MATCH_BYTES), far inside 128 MB.
 */
const REPLAY_MATCH_BYTES = 4 * 1024 * 1024;

export const REPLAY_MODES = ["retry", "missing"] as const;
export type ReplayMode = (typeof REPLAY_MODES)[number];
/** The statuses a retry replay may select: final ones. An open delivery is on its way already. */
export const REPLAY_STATUSES = ["succeeded", "failed", "cancelled"] as const;
export type ReplayStatus = (typeof REPLAY_STATUSES)[number];

/** A replay's filter as one segment applies it; `asOf` (the replay's start) freezes what it covers. */
export interface ReplayFilter {
  mode: ReplayMode;
  /** The endpoints it covers: active when the replay started, of this tenant (the service checked). */
  endpointIds: string[];
  eventTypes: string[] | null;
  statuses: ReplayStatus[] | null;
  statusClass: StatusClass | null;
  channel: string | null;
  since: number;
  until: number;
  asOf: number;
}

/** A stored replay task's filter, from the params it was created with (src/services/replays.ts writes them). */
export function replayFilterOf(task: {
  params: Record<string, string | string[] | null>;
  windowSince: number;
  windowUntil: number;
  createdAt: number;
}): ReplayFilter {
  const p = task.params;
  const list = (v: string | string[] | null | undefined) => (Array.isArray(v) ? v : null);
  return {
    mode: p.mode === "missing" ? "missing" : "retry",
    endpointIds: list(p.covered_endpoint_ids) ?? [],
    eventTypes: list(p.event_types),
    statuses: list(p.statuses) as ReplayStatus[] | null,
    statusClass: typeof p.status_class === "string" ? (p.status_class as StatusClass) : null,
    channel: typeof p.channel === "string" ? p.channel : null,
    since: task.windowSince,
    until: task.windowUntil,
    asOf: task.createdAt,
  };
}

/** One delivery a replay sends. */
interface ReplayCandidate {
  eventId: string;
  eventType: string;
  endpointId: string;
  /** The source delivery's status, or "missing". */
  status: string;
}

/** Deliveries a page never splits (one source delivery, or one event's missing ones); `key` is the cursor after them. */
interface ReplayGroup {
  key: string;
  items: ReplayCandidate[];
}

/** The origin of the deliveries a retry replay writes: one per event and endpoint per replay. */
export const replayOrigin = (taskId: string) => `replay:${taskId}`;

/** SQL matching an event type against a JSON list of names and `x.*` / `*` patterns (src/delivery/match.ts semantics). */
function typeCond(column: string): string {
  return `EXISTS (SELECT 1 FROM json_each(?) p WHERE p.value = '*' OR p.value = ${column}
    OR (substr(p.value, -2) = '.*' AND length(${column}) > length(p.value) - 1 AND substr(${column}, 1, length(p.value) - 1) = substr(p.value, 1, length(p.value) - 1)))`;
}

/** The delivery-level conditions on alias `d`, with their parameters in order. */
function deliveryConds(d: string, f: ReplayFilter, origin: string): { sql: string[]; params: SqlStorageValue[] } {
  const sql = [
    `${d}.endpoint_id IN (SELECT value FROM json_each(?))`,
    `${d}.created_at < ?`,
    `${d}.origin <> 'test'`,
    `${d}.origin <> ?`,
    `${d}.status IN (SELECT value FROM json_each(?))`,
  ];
  const params: SqlStorageValue[] = [
    JSON.stringify(f.endpointIds),
    f.asOf,
    origin,
    JSON.stringify(f.statuses ?? REPLAY_STATUSES),
  ];
  if (f.statusClass === "none") sql.push(`${d}.last_status_code IS NULL AND ${d}.last_attempt_at IS NOT NULL`);
  else if (f.statusClass) {
    sql.push(`${d}.last_status_code >= ? AND ${d}.last_status_code < ?`);
    const base = Number(f.statusClass[0]) * 100;
    params.push(base, base + 100);
  }
  return { sql, params };
}

/** The event-level conditions on alias `e` (window, types, channel). */
function eventConds(e: string, typeColumn: string, f: ReplayFilter): { sql: string[]; params: SqlStorageValue[] } {
  const sql = [`${e}.created_at >= ?`, `${e}.created_at <= ?`];
  const params: SqlStorageValue[] = [f.since, f.until];
  if (f.eventTypes) {
    sql.push(typeCond(typeColumn));
    params.push(JSON.stringify(f.eventTypes));
  }
  if (f.channel !== null) {
    sql.push(`EXISTS (SELECT 1 FROM json_each(${e}.channels) c WHERE c.value = ?)`);
    params.push(f.channel);
  }
  return { sql, params };
}

/** Retry: the next `limit` source deliveries after `after`, by id. */
function retryCandidates(
  sql: SqlStorage,
  byIndex: boolean,
  f: ReplayFilter,
  origin: string,
  after: string | null,
  limit: number,
): ReplayGroup[] {
  const mine = deliveryConds("d", f, origin);
  const earlier = deliveryConds("d2", f, origin);
  const ev = eventConds("e", "d.event_type", f);
  const where = [...mine.sql, ...ev.sql, "(? IS NULL OR d.id > ?)"];
  const query = `SELECT d.id AS id, d.event_id AS event_id, d.event_type AS event_type, d.endpoint_id AS endpoint_id, d.status AS status
    FROM deliveries d JOIN events e ON e.id = d.event_id
    WHERE ${where.join(" AND ")}
      AND NOT EXISTS (SELECT 1 FROM deliveries d2 WHERE ${ofEventSql("d2", "d.event_id", byIndex)} AND d2.endpoint_id = d.endpoint_id AND d2.id < d.id AND ${earlier.sql.join(" AND ")})
    ORDER BY d.id LIMIT ?`;
  const rows = sql
    .exec<{ id: string; event_id: string; event_type: string; endpoint_id: string; status: string }>(
      query,
      ...mine.params,
      ...ev.params,
      after,
      after,
      ...earlier.params,
      limit,
    )
    .toArray();
  return rows.map((r) => ({
    key: r.id,
    items: [{ eventId: r.event_id, eventType: r.event_type, endpointId: r.endpoint_id, status: r.status }],
  }));
}

/**
 * Missing: the next `limit` events after `after` (by id) lacking a delivery to one of the
 * endpoints, each with the endpoints it matches now and has none to, in endpoint order. Events
 * not fanned out yet are left to their fan-out; expired ones would only be cancelled; test sends
 * are not the producer's events. Payloads are read only when a filter needs them, at most
 * REPLAY_MATCH_BYTES a call (at least one event): `scanned` says how many events it looked at.
 */
function missingCandidates(
  sql: SqlStorage,
  byIndex: boolean,
  f: ReplayFilter,
  endpoints: RoutableEndpoint[],
  after: string | null,
  limit: number,
  now: number,
): { candidates: ReplayGroup[]; done: boolean } {
  const ev = eventConds("e", "e.type", f);
  const query = `SELECT e.id AS id, e.type AS type, e.channels AS channels, length(CAST(e.payload AS BLOB)) AS bytes FROM events e
    WHERE ${ev.sql.join(" AND ")} AND e.created_at < ? AND ${fannedOut("e", byIndex)} AND (e.expires_at IS NULL OR e.expires_at > ?)
      AND (? IS NULL OR e.id > ?)
      AND NOT EXISTS (SELECT 1 FROM deliveries t WHERE t.event_id = e.id AND t.origin <> '' AND t.origin = 'test')
      AND EXISTS (SELECT 1 FROM json_each(?) j WHERE NOT EXISTS (SELECT 1 FROM deliveries t WHERE ${ofEventSql("t", "e.id", byIndex)} AND t.endpoint_id = j.value))
    ORDER BY e.id LIMIT ?`;
  const heads = sql
    .exec<{ id: string; type: string; channels: string | null; bytes: number }>(
      query,
      ...ev.params,
      f.asOf,
      now,
      after,
      after,
      JSON.stringify(f.endpointIds),
      limit,
    )
    .toArray();
  const filtered = endpoints.some((e) => e.filter !== null && e.filter !== undefined);
  let bytes = 0;
  let n = 0;
  for (const h of heads) {
    if (filtered && n > 0 && bytes + h.bytes > REPLAY_MATCH_BYTES) break;
    bytes += h.bytes;
    n++;
  }
  const taken = heads.slice(0, n);
  const candidates = taken.map((h) => {
    const payload = filtered
      ? sql.exec<{ payload: string }>("SELECT payload FROM events WHERE id = ?", h.id).one().payload
      : "null";
    const channels = h.channels === null ? null : (JSON.parse(h.channels) as string[]);
    const scope = eventFilterScope(h.type, channels ?? [], payload);
    const has = new Set(
      sql
        .exec<{ endpoint_id: string }>(
          `SELECT endpoint_id FROM deliveries d WHERE ${ofEventSql("d", "?", byIndex)}`,
          ...eventParams(h.id, byIndex),
        )
        .toArray()
        .map((r) => r.endpoint_id),
    );
    const items = endpoints
      .filter((ep) => !has.has(ep.id) && endpointMatches(ep, { type: h.type, channels }, scope))
      .map((ep) => ({ eventId: h.id, eventType: h.type, endpointId: ep.id, status: "missing" }));
    return { key: h.id, items };
  });
  return { candidates, done: n === heads.length && heads.length < limit };
}

/**
 * The replay's deliveries in this segment after `after`, in its fixed order, grouped so a group is
 * never split by a page (a missing event's deliveries go whole): at most about `limit` deliveries,
 * at least one group. `done`: nothing is left after these.
 */
export function replayGroups(
  sql: SqlStorage,
  byIndex: boolean,
  f: ReplayFilter,
  endpoints: RoutableEndpoint[],
  origin: string,
  after: string | null,
  limit: number,
  now: number,
): { groups: ReplayGroup[]; done: boolean } {
  if (!f.endpointIds.length) return { groups: [], done: true };
  if (f.mode === "retry") {
    const groups = retryCandidates(sql, byIndex, f, origin, after, limit);
    return { groups, done: groups.length < limit };
  }
  const { candidates, done } = missingCandidates(sql, byIndex, f, endpoints, after, limit, now);
  const groups: ReplayGroup[] = [];
  let n = 0;
  for (const group of candidates) {
    if (groups.length > 0 && n + group.items.length > limit) return { groups, done: false };
    groups.push(group);
    n += group.items.length;
  }
  return { groups, done };
}
