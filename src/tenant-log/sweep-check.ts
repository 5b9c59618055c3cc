/**
 * The TenantLog's half of the sweep (src/domain/sweep.ts): its alarm asks its own SQLite, with no
 * subrequest, whether anything of its tenant is half-done. Each question reads one row through a
 * partial index (or a small table), so asking costs the same whatever the log holds.
 */
import { MAX_AUTO_REDRIVES } from "../domain/sweep";

export interface HalfDone {
  /** Something half-done is older than the grace: the sweep has work. */
  due: boolean;
  /** Something is half-done at all: the alarm must look again. */
  open: boolean;
}

const OLDEST = [
  // Events whose fan-out never completed (index events_unfanned).
  "SELECT MIN(created_at) AS t FROM events WHERE fanned_out_at IS NULL",
  // Deliveries never attempted: a hand-off may have failed (index deliveries_pending).
  "SELECT MIN(created_at) AS t FROM deliveries WHERE status = 'pending'",
  // Recover tasks still handing out.
  "SELECT MIN(updated_at) AS t FROM tasks WHERE handed_out_at IS NULL",
  // Dead letters the sweep still re-drives on its own.
  `SELECT MIN(created_at) AS t FROM dead_letters WHERE redriven_at IS NULL AND kind <> 'unknown' AND redrives < ${MAX_AUTO_REDRIVES}`,
];

/** `before`: now minus the sweep grace (SWEEP_GRACE_S). */
export function halfDone(sql: SqlStorage, before: number): HalfDone {
  const times = OLDEST.map((q) => sql.exec<{ t: number | null }>(q).one().t).filter((t): t is number => t !== null);
  return { due: times.some((t) => t < before), open: times.length > 0 };
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
