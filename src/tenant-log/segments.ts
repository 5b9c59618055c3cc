/**
 * A tenant's log over time: a series of TenantLog objects ("segments"), numbered from 0. Segment 0
 * is the object named by the bare tenant id, which is where every log lived before segments, so an
 * existing tenant's history is its first segment and stays readable. Segment n > 0 is the object
 * `<tenant>#<n>` (`#` is in no tenant id and no operator log name).
 *
 * A hot tenant's segment is split over k hash shards (k: the tenant's `log_shards`, taking effect
 * at a rollover, so every segment keeps the k it opened with). Shard 0 is the segment's object
 * named above, so k = 1 changes nothing; shard j > 0 of segment n is `<tenant>#<n>~<j>`. An event
 * goes to the shard its idempotency key hashes to (its id's when it has none), so a key and its
 * event are always in one shard, and every row beside it (deliveries, attempts) stays there too.
 *
 * The directory is two numbers on the tenant's D1 row: the oldest segment kept and the current
 * one. A segment closes itself (it refuses appends once it is old or full, see TenantLog.append),
 * and the writer that meets the refusal moves the current number on with a compare-and-set, so D1
 * is written once per rollover, never per webhook. Every row names its segment in its id
 * (src/db/ids.ts, placementOf): outcomes, detail reads and cursors go straight to it.
 */
import { placementOf, shardOf, withPlacement } from "../db/ids";

const SEPARATOR = "#";
const SHARD_SEPARATOR = "~";

/**
 * The most shards a segment may have. A list page asks every shard of each segment it visits
 * (SEGMENTS_PER_PAGE × 16 = 128 calls) and a stats sum reads every shard of every kept segment
 * (31 daily segments of a 30-day retention × 16 = 496 calls), both under the 1,000 subrequests a
 * Worker invocation may make; 16 objects take ~16× one object's writes (~1,000 requests/s each).
 */
export const MAX_LOG_SHARDS = 16;

/**
 * A segment stops taking events once its SQLite is this large, whatever its age and count: a
 * Durable Object holds at most 10 GB, and a closed segment still records the retries, attempts
 * and resends of its events, so 4 GB leaves more than half of the object for them.
 */
export const SEGMENT_CLOSE_BYTES = 4 * 1024 ** 3;

/** The object name of shard `shard` of a log's segment `n` (shard 0: the segment's own name). */
export function segmentName(logName: string, n: number, shard = 0): string {
  if (shard > 0) return `${logName}${SEPARATOR}${n}${SHARD_SEPARATOR}${shard}`;
  return n === 0 ? logName : `${logName}${SEPARATOR}${n}`;
}

/** The log, segment and shard an object name stands for (the sweep is asked for by object name). */
export function parseSegmentName(name: string): { logName: string; segment: number; shard: number } {
  const at = name.lastIndexOf(SEPARATOR);
  if (at < 0) return { logName: name, segment: 0, shard: 0 };
  const [segment, shard] = name.slice(at + 1).split(SHARD_SEPARATOR);
  return { logName: name.slice(0, at), segment: Number(segment), shard: shard === undefined ? 0 : Number(shard) };
}

/** The segment holding the row with this id (an event, delivery, attempt or dead letter). */
export const segmentOfId = (id: string) => placementOf(id);

/** The shard of its segment holding the row with this id. */
export const shardOfId = (id: string) => shardOf(id);

/**
 * Each change of a log's shard count: `[segment, k]`, oldest first; segments from one change up
 * to the next have its k, segments before the first have 1. Written only at a rollover (and at
 * tenant create), so a segment's k never changes once the segment exists.
 */
export type ShardChanges = [segment: number, shards: number][];

/** The segments a tenant's log keeps, oldest and newest, and each segment's shard count. */
export interface SegmentRange {
  first: number;
  current: number;
  shards: ShardChanges;
}

/** How many shards segment `n` has. */
export function shardsIn(changes: ShardChanges, n: number): number {
  let k = 1;
  for (const [from, shards] of changes) if (from <= n) k = shards;
  return k;
}

/** The shard history as stored on the tenant row (JSON text), read leniently: unreadable is none. */
export function parseShardChanges(text: string | null | undefined): ShardChanges {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v.filter((c) => Array.isArray(c) && c.length === 2) as ShardChanges) : [];
  } catch {
    return [];
  }
}

/**
 * The shard of a k-shard segment that holds an event: a hash of its idempotency key, or of its id
 * (without a placement) when it has none. FNV-1a: cheap, stable across isolates and releases.
 */
export function shardFor(idempotencyKey: string | null, eventId: string, k: number): number {
  if (k <= 1) return 0;
  const text = idempotencyKey ?? withPlacement(eventId, 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % k;
}

/** The range on the tenant row, read fresh (a read path must see a rollover made by any isolate). A tenant without a row has segment 0 only. */
export async function readSegmentRange(db: D1Database, tenantId: string): Promise<SegmentRange> {
  return rangeOf(
    await db.prepare(RANGE_QUERY).bind(tenantId).first<{ first: number; current: number; shards: string }>(),
  );
}

const RANGE_QUERY =
  "SELECT log_first_segment AS first, log_current_segment AS current, log_shard_history AS shards FROM tenants WHERE id = ?";

const rangeOf = (row: { first: number; current: number; shards: string } | null | undefined): SegmentRange =>
  row
    ? { first: row.first, current: row.current, shards: parseShardChanges(row.shards) }
    : { first: 0, current: 0, shards: [] };

/**
 * Segment `from` refused an append: make `from + 1` current unless another writer already moved
 * past it. The compare-and-set writes the row at most once per rollover whatever the writers, and
 * in the same statement records the tenant's `log_shards` as the new segment's k when it differs
 * from the k in force (the last change's, 1 before any): k only ever changes at a rollover.
 */
export async function rollOver(db: D1Database, tenantId: string, from: number): Promise<SegmentRange> {
  // The fresh range comes back in the same round trip: a writer moving on must learn the new k.
  const [, read] = await db.batch<{ first: number; current: number; shards: string }>([
    db
      .prepare(
        `UPDATE tenants SET log_current_segment = CAST(?1 AS INTEGER),
           log_shard_history = CASE WHEN log_shards = coalesce(json_extract(log_shard_history, '$[#-1][1]'), 1) THEN log_shard_history
             ELSE json_insert(log_shard_history, '$[#]', json_array(CAST(?1 AS INTEGER), log_shards)) END
         WHERE id = ?2 AND log_current_segment = ?3`,
      )
      .bind(from + 1, tenantId, from),
    db.prepare(RANGE_QUERY).bind(tenantId),
  ]);
  return rangeOf(read?.results[0]);
}

/**
 * Segment `dropped` was dropped by retention: the oldest kept is after it. Never moves back, and
 * never past the current segment (a dropped current one stays current until the next rollover).
 * Answers the rows it wrote (the retention's cost, src/lib/row-usage.ts).
 */
export async function dropped(db: D1Database, tenantId: string, segment: number): Promise<number> {
  const result = await db
    .prepare(
      "UPDATE tenants SET log_first_segment = ? WHERE id = ? AND log_first_segment <= ? AND log_current_segment > ?",
    )
    .bind(segment + 1, tenantId, segment, segment)
    .run();
  return result.meta.rows_written ?? 0;
}

/** Whether segment `n` of this range is still current, for a drop that must wait for the next one. */
export const isClosedIn = (range: SegmentRange, n: number) => n < range.current;
