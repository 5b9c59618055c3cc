/**
 * A tenant's log over time: a series of TenantLog objects ("segments"), numbered from 0. Segment 0
 * is the object named by the bare tenant id, which is where every log lived before segments, so an
 * existing tenant's history is its first segment and stays readable. Segment n > 0 is the object
 * `<tenant>#<n>` (`#` is in no tenant id and no operator log name).
 *
 * The directory is two numbers on the tenant's D1 row: the oldest segment kept and the current
 * one. A segment closes itself (it refuses appends once it is old or full, see TenantLog.append),
 * and the writer that meets the refusal moves the current number on with a compare-and-set, so D1
 * is written once per rollover, never per webhook. Every row names its segment in its id
 * (src/db/ids.ts, placementOf): outcomes, detail reads and cursors go straight to it.
 */
import { placementOf } from "../db/ids";

const SEPARATOR = "#";

/**
 * A segment stops taking events once its SQLite is this large, whatever its age and count: a
 * Durable Object holds at most 10 GB, and a closed segment still records the retries, attempts
 * and resends of its events, so 4 GB leaves more than half of the object for them.
 */
export const SEGMENT_CLOSE_BYTES = 4 * 1024 ** 3;

/** The object name of a log's segment `n`. */
export const segmentName = (logName: string, n: number) => (n === 0 ? logName : `${logName}${SEPARATOR}${n}`);

/** The log and segment an object name stands for (the sweep is asked for by object name). */
export function parseSegmentName(name: string): { logName: string; segment: number } {
  const at = name.lastIndexOf(SEPARATOR);
  if (at < 0) return { logName: name, segment: 0 };
  return { logName: name.slice(0, at), segment: Number(name.slice(at + 1)) };
}

/** The segment holding the row with this id (an event, delivery, attempt or dead letter). */
export const segmentOfId = (id: string) => placementOf(id);

/** The segments a tenant's log keeps, oldest and newest. */
export interface SegmentRange {
  first: number;
  current: number;
}

/** The range on the tenant row, read fresh (a read path must see a rollover made by any isolate). A tenant without a row has segment 0 only. */
export async function readSegmentRange(db: D1Database, tenantId: string): Promise<SegmentRange> {
  const row = await db
    .prepare("SELECT log_first_segment AS first, log_current_segment AS current FROM tenants WHERE id = ?")
    .bind(tenantId)
    .first<{ first: number; current: number }>();
  return row ?? { first: 0, current: 0 };
}

/**
 * Segment `from` refused an append: make `from + 1` current unless another writer already moved
 * past it. The compare-and-set writes the row at most once per rollover whatever the writers.
 */
export async function rollOver(db: D1Database, tenantId: string, from: number): Promise<void> {
  await db
    .prepare("UPDATE tenants SET log_current_segment = ? WHERE id = ? AND log_current_segment = ?")
    .bind(from + 1, tenantId, from)
    .run();
}

/**
 * Segment `dropped` was dropped by retention: the oldest kept is after it. Never moves back, and
 * never past the current segment (a dropped current one stays current until the next rollover).
 */
export async function dropped(db: D1Database, tenantId: string, segment: number): Promise<void> {
  await db
    .prepare("UPDATE tenants SET log_first_segment = ? WHERE id = ? AND log_first_segment <= ? AND log_current_segment > ?")
    .bind(segment + 1, tenantId, segment, segment)
    .run();
}

/** Whether segment `n` of this range is still current, for a drop that must wait for the next one. */
export const isClosedIn = (range: SegmentRange, n: number) => n < range.current;
