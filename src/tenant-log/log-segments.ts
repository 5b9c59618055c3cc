/**
 * A tenant's log across its segments (./segments.ts): appends that move on when a segment closes,
 * idempotency keys found in the segments before the current one, lists that walk segments newest
 * first with cursors naming their segment, and sums over segments. Reads take the segment range
 * fresh from D1 (one read per request, never per row); appends start from the caller's (cached)
 * current segment and a closed segment sends them on. A segment of k > 1 shards is k objects:
 * appends go to the shard their key (or id) hashes to, lists merge the k shards by id, sums add
 * every shard.
 */
import type { SegmentLimits } from "../config";
import { withPlacement } from "../db/ids";
import { fingerprintOf } from "../delivery/idempotency";
import { logSegment } from "./client";
import { STATS_ENDPOINTS_PER_CALL } from "./metrics-query";
import {
  parseSegmentName,
  readSegmentRange,
  rollOver,
  type SegmentRange,
  type ShardChanges,
  segmentName,
  segmentOfId,
  shardFor,
  shardsIn,
} from "./segments";
import type { TenantLog } from "./tenant-log";
import { IDEMPOTENCY_TTL_MS, SEGMENT_CLOSED, STALE_TENANT } from "./tenant-log";
import type {
  AppendInput,
  AppendResult,
  DeadLetterRow,
  DeliveryRow,
  EndpointTotals,
  EventRow,
  TaskRow,
  TenantMetrics,
  TenantRef,
} from "./types";

/**
 * Segments one list page visits at most. A page needs more than one only when it crosses a
 * rollover; a filter that matches little may find nothing in many, so the walk stops here and the
 * page ends early with a cursor at the next segment. 8 calls stay far under the 1,000 subrequests
 * a Worker invocation may make.
 */
export const SEGMENTS_PER_PAGE = 8;

/**
 * Closed segments one append looks in for an earlier use of an idempotency key. A claim lives 24 h,
 * and with the default limits (a day or 250,000 events a segment) only the previous segment can
 * hold a live one; the walk stops sooner at the first segment that closed more than 24 h ago.
 */
export const IDEMPOTENCY_SEGMENTS_BACK = 8;

/**
 * Closed segments one append moves past before it reads the range again from D1 (another isolate
 * may have rolled over many times since this one cached its tenant row).
 */
const ROLLOVER_HOPS = 4;

/** Tenant log segments one sum (stats, metrics) reads in parallel at a time. */
const SEGMENT_READS_IN_FLIGHT = 6;

/** When each closed segment closed, as learnt by this isolate: a segment that closed a claim's lifetime ago is never asked again. */
const closedAtSeen = new Map<string, number>();

/** A page of a list across segments: `resume` is the cursor to go on from when the walk stopped at its bound. */
export interface SegmentPage<T> {
  rows: T[];
  resume: string | null;
}

/** Where a tenant's appends start: the segment it believes current and the shard history that names every segment's k up to it. */
interface AppendPosition {
  current: number;
  shards: ShardChanges;
}

/**
 * Appends events to the tenant's current segment, moving on to the next while one answers that it
 * is closed (compare-and-set on the tenant row, once per rollover). `position` is the segment the
 * caller believes current; null for an operator log, which is one object that never closes. Each
 * event goes to the shard of the segment its key (or id) hashes to, and its id is given the
 * segment and shard it lands in. Answers the results and the segment written.
 */
export async function appendEvents(
  env: Env,
  tenant: TenantRef,
  position: AppendPosition | null,
  inputs: AppendInput[],
  now: number,
  limits: SegmentLimits,
): Promise<{ results: AppendResult[] | typeof STALE_TENANT; segment: number }> {
  if (position === null) {
    const results = await logSegment(env, tenant.id, 0).append(tenant, inputs, now);
    if (results === SEGMENT_CLOSED) throw new Error("an operator log never closes");
    return { results, segment: 0 };
  }
  // A segment's k never changes once it is current, so the caller's (cached) history is right up
  // to its current segment; past it, the history comes fresh with each rollover.
  let { current: n, shards } = position;
  const results: AppendResult[] = new Array(inputs.length);
  let pending = inputs.map((_, i) => i);
  for (let hops = 0; ; hops++) {
    if (hops > 0 && hops % ROLLOVER_HOPS === 0) {
      const fresh = await readSegmentRange(env.DB, tenant.id);
      if (fresh.current > n) ({ current: n, shards } = fresh);
    }
    const earlier = await earlierClaims(
      env,
      tenant.id,
      n,
      shards,
      pending.map((i) => inputs[i]!),
      now,
    );
    const k = shardsIn(shards, n);
    const byShard = new Map<number, number[]>();
    pending.forEach((i, at) => {
      const found = earlier.get(at);
      if (found) {
        results[i] = found;
        return;
      }
      const j = shardFor(shardKeyOf(inputs[i]!), inputs[i]!.event.id, k);
      byShard.set(j, [...(byShard.get(j) ?? []), i]);
    });
    const ref = (j: number): TenantRef => ({ ...tenant, segment: { number: n, shard: j, limits } });
    const refused: number[] = [];
    const closedShards = new Set<number>();
    let stale = false;
    await Promise.all(
      [...byShard].map(async ([j, idx]) => {
        const placed = idx.map((i) => ({
          event: { ...inputs[i]!.event, id: withPlacement(inputs[i]!.event.id, n, j) },
          fingerprint: inputs[i]!.fingerprint,
        }));
        const answered = await logSegment(env, tenant.id, n, j).append(ref(j), placed, now);
        if (answered === STALE_TENANT) stale = true;
        else if (answered === SEGMENT_CLOSED) {
          refused.push(...idx);
          closedShards.add(j);
        } else for (const [at, i] of idx.entries()) results[i] = answered[at]!;
      }),
    );
    if (stale) return { results: STALE_TENANT, segment: n };
    if (!refused.length) return { results, segment: n };
    // One shard closed: the whole segment closes before any writer moves on, so a key's earlier
    // claim is settled in its shard before the next segment is looked in (see earlierClaims).
    const toClose = Array.from({ length: k }, (_, j) => j).filter((j) => !closedShards.has(j));
    await Promise.all(toClose.map((j) => logSegment(env, tenant.id, n, j).close(ref(j), now)));
    const fresh = await rollOver(env.DB, tenant.id, n);
    shards = fresh.shards;
    n = Math.max(n + 1, fresh.current);
    pending = refused.sort((a, b) => a - b);
  }
}

/**
 * The answers an earlier segment holds for keyed inputs: a live claim of the same key there is a
 * repeat (same body) or a conflict (another body), just as in one segment. Walks back from the
 * segment before `n`, at most IDEMPOTENCY_SEGMENTS_BACK, stopping at the first that closed more
 * than a claim's lifetime ago; in each it asks the shard the key hashes to with that segment's k.
 * Two first uses racing across a rollover both miss here and meet in segment `n`, which settles
 * them in one transaction: every shard of a segment closes before any writer moves on.
 */
async function earlierClaims(
  env: Env,
  tenantId: string,
  n: number,
  shards: ShardChanges,
  inputs: AppendInput[],
  now: number,
): Promise<Map<number, AppendResult>> {
  const out = new Map<number, AppendResult>();
  const keyed = inputs.flatMap((input, i) =>
    input.event.idempotencyKey === null
      ? []
      : [{ i, key: input.event.idempotencyKey, route: shardKeyOf(input)!, fingerprint: input.fingerprint }],
  );
  if (!keyed.length) return out;
  const keys = [...new Set(keyed.map((k) => k.key))];
  const routeOf = new Map(keyed.map((k) => [k.key, k.route]));
  const found = new Map<string, EventRow>();
  for (let s = n - 1, asked = 0; s >= 0 && asked < IDEMPOTENCY_SEGMENTS_BACK; s--, asked++) {
    const name = segmentName(tenantId, s);
    const seen = closedAtSeen.get(name);
    if (seen !== undefined && seen < now - IDEMPOTENCY_TTL_MS) break;
    const k = shardsIn(shards, s);
    const byShard = new Map<number, string[]>();
    for (const key of keys.filter((key) => !found.has(key))) {
      const j = shardFor(routeOf.get(key)!, "", k);
      byShard.set(j, [...(byShard.get(j) ?? []), key]);
    }
    const answers = await Promise.all(
      [...byShard].map(([j, part]) => logSegment(env, tenantId, s, j).claims(part, now)),
    );
    for (const answer of answers)
      for (const [key, event] of Object.entries(answer.events)) if (!found.has(key)) found.set(key, event);
    // The shards of a segment close together (appendEvents): the latest close stands for them all.
    const closed = answers.map((a) => a.closedAt);
    const closedAt = closed.some((c) => c === null) ? null : Math.max(...(closed as number[]));
    if (closedAt !== null) closedAtSeen.set(name, closedAt);
    if (closedAt !== null && closedAt < now - IDEMPOTENCY_TTL_MS) break;
    if (found.size === keys.length) break;
  }
  for (const { i, key, fingerprint } of keyed) {
    const event = found.get(key);
    if (event) out.set(i, fingerprintOf(event) === fingerprint ? { kind: "repeat", event } : { kind: "conflict", key });
  }
  return out;
}

/**
 * What places an event in a shard: its ordering key, so a lane has one writer of its order
 * (./lanes.ts), else its idempotency key, so a key and its event are in one shard; else its id.
 * On a sharded log, an idempotency key is therefore checked in its ordering key's shard: a key
 * reused with another ordering_key is not found there and makes a second event, not a 409.
 */
const shardKeyOf = (input: AppendInput) => input.event.orderingKey ?? input.event.idempotencyKey;

/** The segment range of a tenant's log, read fresh from D1. */
export const segmentsOf = (env: Env, tenantId: string) => readSegmentRange(env.DB, tenantId);

/** An id that sorts after every id of its kind in segment `n`: the cursor of a walk that stopped before segment `n`. */
const segmentTop = (prefix: string, n: number) => withPlacement(`${prefix}_${"z".repeat(26)}`, n);

/**
 * A list across segments, newest segment first and newest id first within one: segments are
 * read in order until `limit + 1` rows are found (the page and the sign of a next one). A cursor
 * (`before`, the last id of a page) names its segment, so the next page starts there and a
 * rollover in between moves nothing. Rows a closed segment writes later (a retry's attempt, a
 * resend's delivery) list with their event's segment. At most SEGMENTS_PER_PAGE segments a page.
 * A segment of k shards is read as one: each shard is asked for the rows the page still needs
 * (and one more), and the k answers are merged by id; the cursor (an id) bounds every shard, since
 * ids of one segment compare by their time-ordered body before their shard suffix.
 */
export async function listAcross<T extends { id: string }>(
  env: Env,
  tenantId: string,
  range: SegmentRange,
  f: { limit: number; before?: string },
  prefix: string,
  ask: (log: DurableObjectStub<TenantLog>, f: { limit: number; before?: string }) => Promise<T[]>,
): Promise<SegmentPage<T>> {
  const start = f.before === undefined ? range.current : Math.min(segmentOfId(f.before), range.current);
  const rows: T[] = [];
  for (let s = start, visited = 0; s >= range.first; s--, visited++) {
    if (visited === SEGMENTS_PER_PAGE) return { rows, resume: segmentTop(prefix, s) };
    const before = f.before !== undefined && segmentOfId(f.before) === s ? f.before : undefined;
    const want = f.limit - rows.length;
    const k = shardsIn(range.shards, s);
    const found =
      k === 1
        ? await ask(logSegment(env, tenantId, s), { limit: want, before })
        : (
            await Promise.all(
              Array.from({ length: k }, (_, j) => ask(logSegment(env, tenantId, s, j), { limit: want, before })),
            )
          )
            .flat()
            .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
            .slice(0, want + 1);
    rows.push(...found);
    if (rows.length > f.limit) return { rows: rows.slice(0, f.limit + 1), resume: null };
  }
  return { rows, resume: null };
}

/** Every object of the range: each segment's shards, newest segment first. */
function objectsOf(env: Env, tenantId: string, range: SegmentRange): DurableObjectStub<TenantLog>[] {
  const out: DurableObjectStub<TenantLog>[] = [];
  for (let s = range.current; s >= range.first; s--)
    for (let j = 0; j < shardsIn(range.shards, s); j++) out.push(logSegment(env, tenantId, s, j));
  return out;
}

/** Runs `read` on every object (each shard of each segment) of the range, SEGMENT_READS_IN_FLIGHT at a time. */
export async function eachSegment<T>(
  env: Env,
  tenantId: string,
  range: SegmentRange,
  read: (log: DurableObjectStub<TenantLog>) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  const all = objectsOf(env, tenantId, range);
  for (let at = 0; at < all.length; at += SEGMENT_READS_IN_FLIGHT)
    out.push(...(await Promise.all(all.slice(at, at + SEGMENT_READS_IN_FLIGHT).map(read))));
  return out;
}

/** Endpoint totals of several segments summed per endpoint, in endpoint id order. */
export function sumTotals(lists: EndpointTotals[][]): EndpointTotals[] {
  const byEndpoint = new Map<string, EndpointTotals>();
  for (const list of lists) {
    for (const t of list) {
      const sum = byEndpoint.get(t.endpointId);
      if (!sum) {
        byEndpoint.set(t.endpointId, { ...t, latency: [...t.latency], byClass: { ...t.byClass } });
        continue;
      }
      sum.attemptsOk += t.attemptsOk;
      sum.attemptsFailed += t.attemptsFailed;
      sum.succeeded += t.succeeded;
      sum.failed += t.failed;
      sum.cancelled += t.cancelled;
      sum.latencySumMs += t.latencySumMs;
      t.latency.forEach((v, i) => {
        sum.latency[i] = (sum.latency[i] ?? 0) + v;
      });
      for (const [k, v] of Object.entries(t.byClass) as [keyof EndpointTotals["byClass"], number][])
        sum.byClass[k] = (sum.byClass[k] ?? 0) + v;
    }
  }
  return [...byEndpoint.values()].sort((a, b) =>
    a.endpointId < b.endpointId ? -1 : a.endpointId > b.endpointId ? 1 : 0,
  );
}

/** GET /metrics of a tenant: all-time counters, the open backlog and the storage, summed over its segments (`range`: read with the tenant row already). */
export async function metricsAcross(env: Env, tenantId: string, range?: SegmentRange): Promise<TenantMetrics> {
  const parts = await eachSegment(env, tenantId, range ?? (await segmentsOf(env, tenantId)), (log) => log.metrics());
  const backlog = new Map<string, TenantMetrics["backlog"][number]>();
  for (const p of parts) {
    for (const b of p.backlog) {
      const key = `${b.endpointId} ${b.status}`;
      const seen = backlog.get(key);
      if (seen) seen.count += b.count;
      else backlog.set(key, { ...b });
    }
  }
  return {
    endpoints: sumTotals(parts.map((p) => p.endpoints)),
    backlog: [...backlog.values()],
    storageBytes: parts.reduce((sum, p) => sum + (p.storageBytes ?? 0), 0),
  };
}

/** Stats from `sinceHour` per endpoint (one endpoint, or all), summed over the tenant's segments. */
export async function statsAcross(
  env: Env,
  tenantId: string,
  sinceHour: number,
  endpointId?: string,
): Promise<EndpointTotals[]> {
  const parts = await eachSegment(env, tenantId, await segmentsOf(env, tenantId), async (log) => {
    if (endpointId !== undefined) return log.stats(sinceHour, { endpointId });
    // A row per endpoint, in pages of at most STATS_ENDPOINTS_PER_CALL (one call below 1,000 endpoints).
    const rows: EndpointTotals[] = [];
    for (let after: string | undefined; ; ) {
      const page = await log.stats(sinceHour, { after });
      rows.push(...page);
      if (page.length < STATS_ENDPOINTS_PER_CALL) return rows;
      after = page[page.length - 1]!.endpointId;
    }
  });
  return sumTotals(parts);
}

/** The hourly roll-ups of some endpoints (at most HOURLY_ENDPOINTS_PER_CALL) from every segment: rows of one hour from several segments add up. */
export async function hourlyAcross(env: Env, tenantId: string, sinceHour: number, endpointIds: string[]) {
  return (
    await eachSegment(env, tenantId, await segmentsOf(env, tenantId), (log) => log.hourlyStats(sinceHour, endpointIds))
  ).flat();
}

/** Dead letters into the log's current segment (its shard 0), their ids naming it (so a re-drive by id finds them). */
export async function addDeadLetters(env: Env, logName: string, rows: DeadLetterRow[]): Promise<void> {
  const n = (await segmentsOf(env, logName)).current;
  await logSegment(env, logName, n).addDeadLetters(rows.map((r) => ({ ...r, id: withPlacement(r.id, n) })));
}

/** A test send's event and delivery, into the tenant's current segment (`current`, from its row), its shard 0. */
export async function insertTest(env: Env, tenant: TenantRef, current: number, event: EventRow, delivery: DeliveryRow) {
  const placed = { ...event, id: withPlacement(event.id, current) };
  const row = { ...delivery, id: withPlacement(delivery.id, current), eventId: placed.id };
  const ok = await logSegment(env, tenant.id, current).insertTest(tenant, placed, row);
  return ok ? { event: placed, delivery: row } : null;
}

/** Every segment of the tenant's log learns a changed retention. */
export async function configureAll(env: Env, tenant: TenantRef): Promise<void> {
  await eachSegment(env, tenant.id, await segmentsOf(env, tenant.id), (log) => log.configure(tenant));
}

/**
 * The tenant is being deleted: every segment it keeps drops its storage and keeps a tombstone.
 * Segments before the first kept were dropped by retention already; a later tenant of the same id
 * wipes whatever an older incarnation left in a segment before it writes (TenantLog.admit).
 */
export async function destroyAll(env: Env, tenantId: string, incarnation: number): Promise<void> {
  await eachSegment(env, tenantId, await segmentsOf(env, tenantId), (log) => log.destroy(incarnation));
}

/**
 * The objects a recover task runs in: every shard of every kept segment for a tenant id, oldest
 * segment first; only the named one for a segment shard's own name (the sweep resumes a stalled
 * task in the object that holds it).
 */
export async function taskSegments(env: Env, name: string): Promise<DurableObjectStub<TenantLog>[]> {
  const { logName, segment, shard } = parseSegmentName(name);
  if (logName !== name) return [logSegment(env, logName, segment, shard)];
  return objectsOf(env, logName, await segmentsOf(env, logName)).reverse();
}

/**
 * A recover task in every kept segment (the same id in each, over that segment's failed
 * deliveries), oldest segment first so `max` takes the oldest failures first. Answers the task as
 * the API shows it: the totals summed.
 */
export async function createTaskAcross(
  env: Env,
  tenantId: string,
  task: Omit<TaskRow, "total" | "cursor" | "handed" | "handedOutAt" | "cancelledAt">,
  max: number,
): Promise<TaskRow> {
  const rows: TaskRow[] = [];
  let left = max;
  for (const log of await taskSegments(env, tenantId)) {
    const row = await log.createTask(task, left);
    left -= row.total;
    rows.push(row);
  }
  return sumTasks(rows);
}

/** A task and how many of its deliveries finished, summed over the segments that hold it. */
export async function getTaskAcross(
  env: Env,
  tenantId: string,
  taskId: string,
): Promise<{ task: TaskRow; done: number } | null> {
  const found = (
    await eachSegment(env, tenantId, await segmentsOf(env, tenantId), (log) => log.getTask(taskId))
  ).filter((f) => f !== null);
  if (!found.length) return null;
  return { task: sumTasks(found.map((f) => f.task)), done: found.reduce((n, f) => n + f.done, 0) };
}

function sumTasks(rows: TaskRow[]): TaskRow {
  const open = rows.some((r) => r.handedOutAt === null);
  return {
    ...rows[0]!,
    total: rows.reduce((n, r) => n + r.total, 0),
    handed: rows.reduce((n, r) => n + r.handed, 0),
    handedOutAt: open ? null : Math.max(...rows.map((r) => r.handedOutAt ?? 0)),
  };
}
