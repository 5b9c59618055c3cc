/**
 * Deliveries still `pending` (never attempted), found without an index of them. The partial index
 * deliveries_pending was a row written on every delivery's insert, for questions asked a few
 * times an hour: the sweep's look, its orphans and the pending gauge of GET /metrics. Instead each
 * endpoint has a mark (meta `pending_from:<endpoint>`): no delivery of that endpoint whose id sorts
 * before it is pending. The questions walk the endpoint's deliveries (deliveries_endpoint) from
 * there, and each walk moves the mark up to the first one still pending.
 *
 * A mark never passes the ids minted before now minus the sweep grace (as the events' mark,
 * ./sweep-check.ts): a delivery is written in the transaction that mints its id, so one minted
 * earlier and not written yet cannot come. Nor does it pass the events' own mark (UNFANNED_FROM):
 * a delivery of an event's own fan-out carries its event's time (./event-deliveries.ts), and an
 * event not fanned out yet may still bring deliveries of its moment, however late. A disabled
 * endpoint's held deliveries stay pending and pin only its own mark.
 */
import { firstIdAt } from "../db/ids";

/**
 * Rows the walks of one call read at most, all endpoints together: a log with a long unwalked
 * history (one from before v11) is walked over several looks.
 */
export const PENDING_WALK_ROWS = 50_000;

const markKey = (endpointId: string) => `pending_from:${endpointId}`;
const SET_META = "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v";

export interface PendingLook {
  /** The oldest pending delivery's created_at among the walked endpoints, or null. */
  oldest: number | null;
  /** A walk stopped at its bound: look again. */
  unfinished: boolean;
}

type Exec = (query: string, ...params: unknown[]) => number;

export class PendingMarks {
  constructor(
    private readonly sql: SqlStorage,
    private readonly exec: Exec,
  ) {}

  /** The endpoints with deliveries in this log, one index seek each (a skip-scan of deliveries_endpoint). */
  endpoints(): string[] {
    return this.sql
      .exec<{ id: string }>(
        `WITH RECURSIVE e(id) AS (
           SELECT MIN(endpoint_id) FROM deliveries
           UNION ALL SELECT (SELECT MIN(endpoint_id) FROM deliveries WHERE endpoint_id > e.id) FROM e WHERE e.id IS NOT NULL)
         SELECT id FROM e WHERE id IS NOT NULL`,
      )
      .toArray()
      .map((r) => r.id);
  }

  /** Where the endpoint's walk starts: its mark (every id sorts after ""). */
  from(endpointId: string): string {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", markKey(endpointId)).toArray()[0]?.v ?? "";
  }

  /**
   * Walks each endpoint (all of this log's by default) from its mark to its first pending delivery,
   * PENDING_WALK_ROWS rows in all at most, and moves the mark there (or to where the walk stopped),
   * never past the ids minted before `before`, nor the moment of `unfannedFrom` (the events' mark).
   */
  settle(before: number, unfannedFrom: string, endpointIds: string[] = this.endpoints()): PendingLook {
    const byTime = firstIdAt("dlv", before);
    const start = unfannedFrom.indexOf("_") + 1;
    const byEvents = `dlv_${unfannedFrom.slice(start, start + 10).padEnd(26, "0")}`;
    const bound = byEvents < byTime ? byEvents : byTime;
    let oldest: number | null = null;
    let budget = PENDING_WALK_ROWS;
    for (const endpointId of endpointIds) {
      if (budget <= 0) return { oldest, unfinished: true };
      const from = this.from(endpointId);
      const walk = this.sql
        .exec<{ id: string; created_at: number; pending: number }>(
          "SELECT id, created_at, status = 'pending' AS pending FROM deliveries WHERE endpoint_id = ? AND id >= ? ORDER BY id LIMIT ?",
          endpointId,
          from,
          budget,
        )
        .toArray();
      budget -= walk.length;
      const first = walk.find((r) => r.pending);
      if (first) oldest = oldest === null ? first.created_at : Math.min(oldest, first.created_at);
      const reached = first?.id ?? walk.at(-1)?.id ?? from;
      const next = reached < bound ? reached : bound;
      if (next > from) this.exec(SET_META, markKey(endpointId), next);
    }
    return { oldest, unfinished: budget <= 0 };
  }

  /**
   * Pending deliveries of these endpoints created before `before`, by endpoint and id, at most
   * `limit`, walking PENDING_WALK_ROWS rows in all at most.
   */
  older(before: number, endpointIds: string[], limit: number): { id: string; eventId: string; endpointId: string }[] {
    const out: { id: string; eventId: string; endpointId: string }[] = [];
    let budget = PENDING_WALK_ROWS;
    for (const endpointId of endpointIds) {
      if (out.length >= limit || budget <= 0) break;
      const walk = this.sql
        .exec<{ id: string; event_id: string; due: number }>(
          "SELECT id, event_id, status = 'pending' AND created_at < ? AS due FROM deliveries WHERE endpoint_id = ? AND id >= ? ORDER BY id LIMIT ?",
          before,
          endpointId,
          this.from(endpointId),
          budget,
        )
        .toArray();
      budget -= walk.length;
      for (const r of walk) {
        if (r.due && out.length < limit) out.push({ id: r.id, eventId: r.event_id, endpointId });
      }
    }
    return out;
  }

  /** Pending deliveries per endpoint (the metrics' gauge), counted from each endpoint's mark. */
  counts(): { endpointId: string; count: number }[] {
    return this.endpoints().flatMap((endpointId) => {
      const n = this.sql
        .exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ? AND id >= ? AND status = 'pending'",
          endpointId,
          this.from(endpointId),
        )
        .one().n;
      return n > 0 ? [{ endpointId, count: n }] : [];
    });
  }
}
