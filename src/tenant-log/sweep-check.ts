/**
 * The TenantLog's half of the sweep (src/domain/sweep.ts): its alarm asks its own SQLite, with no
 * subrequest, whether anything of its tenant is half-done. Each question reads one row through a
 * partial index (or a small table), or walks only what was written since the last look (events),
 * so asking costs the same whatever the log holds.
 */
import { firstIdAt } from "../db/ids";
import { MAX_AUTO_REDRIVES } from "../domain/sweep";
import { fannedOut } from "./fanned-out";
import type { PendingLook } from "./pending-marks";

export interface HalfDone {
  /** Something half-done is older than the grace: the sweep has work. */
  due: boolean;
  /** Something is half-done at all: the alarm must look again. */
  open: boolean;
}

const OLDEST = [
  // Recover tasks still handing out.
  "SELECT MIN(updated_at) AS t FROM tasks WHERE handed_out_at IS NULL",
  // Dead letters the sweep still re-drives on its own.
  `SELECT MIN(created_at) AS t FROM dead_letters WHERE redriven_at IS NULL AND kind <> 'unknown' AND redrives < ${MAX_AUTO_REDRIVES}`,
];

/**
 * Events whose fan-out never completed. No index: one would be a row written on every event's
 * insert and another on its fan-out. Instead a mark (meta UNFANNED_FROM) says every event whose
 * id sorts before it is fanned out, and the question walks the id index from there to the first
 * that is not: the events fanned out since the last look, and no older ones.
 */
export const UNFANNED_FROM = "unfanned_from";

/** The first event, in id order from `from`, not fanned out yet, or null. */
function firstUnfanned(sql: SqlStorage, from: string, byIndex: boolean): { id: string; created_at: number } | null {
  return (
    sql
      .exec<{ id: string; created_at: number }>(
        `SELECT id, created_at FROM events WHERE id >= ? AND NOT ${fannedOut("events", byIndex)} ORDER BY id LIMIT 1`,
        from,
      )
      .toArray()[0] ?? null
  );
}

/**
 * Where the mark may move after a look that found `first` (or nothing) at `before` (now minus the
 * grace): to the first event not fanned out, but never past the ids minted before `before`. An
 * event is written within moments of its id being minted, so one minted before `before` and not
 * written yet cannot come, and one minted later sorts after the mark.
 */
export function nextUnfannedFrom(first: { id: string } | null, before: number): string {
  const bound = firstIdAt("evt", before);
  return first === null || first.id > bound ? bound : first.id;
}

/**
 * `before`: now minus the sweep grace (SWEEP_GRACE_S). `from`: the UNFANNED_FROM mark. `pending`:
 * what the walk of deliveries never attempted found (./pending-marks.ts; a hand-off may have
 * failed). `byIndex`: how the log finds an event's deliveries (./event-deliveries.ts). Answers
 * also where the mark may move (nextUnfannedFrom).
 */
export function halfDone(
  sql: SqlStorage,
  before: number,
  from: string,
  pending: PendingLook,
  byIndex: boolean,
): HalfDone & { unfannedFrom: string } {
  const unfanned = firstUnfanned(sql, from, byIndex);
  const times = [
    unfanned?.created_at ?? null,
    pending.oldest,
    ...OLDEST.map((q) => sql.exec<{ t: number | null }>(q).one().t),
  ].filter((t): t is number => t !== null);
  return {
    due: times.some((t) => t < before),
    open: times.length > 0 || pending.unfinished,
    unfannedFrom: nextUnfannedFrom(unfanned, before),
  };
}

/** The longest the alarm waits to look again while something is half-done (the retention cadence). */
export const RECHECK_AT_MOST_MS = 3600_000;

/**
 * When the alarm looks again while something is half-done: after the grace, doubled for each look
 * since the last write (a disabled endpoint's held deliveries stay `pending` for as long as it is
 * disabled, and must not cost a sweep every two minutes for ever), at most an hour.
 */
export const recheckDelay = (graceMs: number, looks: number) =>
  Math.min(RECHECK_AT_MOST_MS, graceMs * 2 ** Math.min(looks, 16));
