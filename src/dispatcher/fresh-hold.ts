/**
 * First attempts held in memory instead of the pending table. A delivery handed over by its
 * event's fan-out, due now, with no ordering key, goes out in the next alarm run; writing it to
 * SQLite first cost a pending row with its two indexes, a lease and a delete: 5 rows written of
 * the ~17 a webhook cost (measured: test/tenant-log/rows.test.ts, `npm run bench` scenario 6).
 *
 * Why nothing is lost: the TenantLog's delivery row, written by the fan-out before the hand-off,
 * is the durable record. It stays `pending` until this object's outcome reaches the log, and the
 * sweep hands every `pending` delivery older than its grace over again (src/jobs/sweep.ts). So
 * if this object dies with a delivery held here, the sweep sends it later; if it dies after the
 * attempt and before the outcome is recorded, the receiver may see it twice (at-least-once, as
 * with a lease that ran out). Only what the sweep re-hands may be held here: a first attempt of a
 * scheduled hand-off (a retry, recover or manual attempt is not `pending` in the log).
 *
 * A retry, a delivery not due yet, a keyed one (its lane needs the table), or one past the
 * bounds below goes to SQLite as before.
 */
import type { PendingRow } from "./storage";

/**
 * At most this many deliveries held in memory per dispatcher: a run sends at most
 * attemptsPerRun of them anyway, and the rest wait in SQLite where they cost what they did.
 */
export const FRESH_HOLD_ROWS = 200;

/**
 * And at most this many bytes of them (payloads a hand-off carried count whole): many
 * dispatchers can share one isolate's 128 MB (Workers memory limit), so each keeps a small share.
 */
export const FRESH_HOLD_BYTES = 256 * 1024;

/** Rough bytes of a held row besides its payload: ids, type, trace (a few hundred). */
const ROW_OVERHEAD_BYTES = 512;

/** Whether a handed delivery may be held in memory at `now` (see the file comment). */
export function freshCandidate(row: Omit<PendingRow, "seq" | "lease_until">, now: number): boolean {
  return (
    row.trigger === "scheduled" &&
    row.attempts === 0 &&
    row.ordering_key === null &&
    row.lane_n === 0 &&
    row.due_at <= now &&
    (row.expires_at === null || row.expires_at > now)
  );
}

export class FreshHold {
  /** By delivery id, in arrival order (seq order). */
  private readonly rows = new Map<string, PendingRow>();
  /** Delivery id by seq: a run leases, releases and settles its rows by seq. */
  private readonly ids = new Map<number, string>();
  private bytes = 0;

  get size(): number {
    return this.rows.size;
  }

  has(deliveryId: string): boolean {
    return this.rows.has(deliveryId);
  }

  get(deliveryId: string): PendingRow | null {
    return this.rows.get(deliveryId) ?? null;
  }

  bySeq(seq: number): PendingRow | null {
    const id = this.ids.get(seq);
    return id === undefined ? null : (this.rows.get(id) ?? null);
  }

  /** Holds `row` when it fits the bounds; answers whether it did. */
  add(row: PendingRow): boolean {
    const bytes = rowBytes(row);
    if (this.rows.size >= FRESH_HOLD_ROWS || this.bytes + bytes > FRESH_HOLD_BYTES) return false;
    this.rows.set(row.delivery_id, row);
    this.ids.set(row.seq, row.delivery_id);
    this.bytes += bytes;
    return true;
  }

  /** Lets the row with this seq go; answers it, or null when it is not held here. */
  take(seq: number): PendingRow | null {
    const row = this.bySeq(seq);
    if (!row) return null;
    this.rows.delete(row.delivery_id);
    this.ids.delete(seq);
    this.bytes -= rowBytes(row);
    return row;
  }

  all(): PendingRow[] {
    return [...this.rows.values()];
  }

  /** Held rows not in flight at `now`, in seq order (all are due: only due rows are held). */
  idle(now: number): PendingRow[] {
    return this.all().filter((r) => r.lease_until === null || r.lease_until <= now);
  }

  /** Held rows in flight at `now`. */
  leased(now: number): PendingRow[] {
    return this.all().filter((r) => r.lease_until !== null && r.lease_until > now);
  }

  clear() {
    this.rows.clear();
    this.ids.clear();
    this.bytes = 0;
  }
}

const rowBytes = (row: PendingRow) => row.payload.length + ROW_OVERHEAD_BYTES;
