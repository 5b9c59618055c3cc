/**
 * The questions GET /metrics asks a TenantLog, as SQL on its own SQLite: all-time counters per
 * endpoint (the sum of its hourly roll-ups, plus the carry row that keeps what retention purged)
 * and the open backlog per endpoint, read through partial indexes so the cost follows the
 * backlog, not the history.
 */

import type { Increment } from "../attempts/stats-rollup";
import { LATENCY_BUCKETS_MS, STATUS_CLASSES } from "../domain/deliveries";
import type { EndpointTotals, OpenBacklog } from "./types";

/**
 * Hour of the carry row: roll-ups older than the retention are folded into it before they are
 * deleted, so the counters Prometheus reads never go down (a drop reads as a counter reset).
 */
export const CARRY_HOUR = 0;

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;
const bucketSums = Array.from({ length: BUCKETS }, (_, i) => `SUM(json_extract(latency, '$[${i}]')) AS b${i}`).join(
  ", ",
);
const classSums = STATUS_CLASSES.map((c) => `SUM(attempts_${c}) AS c_${c}`).join(", ");

/** Sums of the roll-up rows per endpoint (`where` narrows the rows; its `?` are bound by the caller). */
const totalsSql = (
  where = "",
) => `SELECT endpoint_id, MIN(tenant_id) AS tenant_id, SUM(attempts_ok) AS attempts_ok, SUM(attempts_failed) AS attempts_failed,
  SUM(succeeded) AS succeeded, SUM(failed) AS failed, SUM(cancelled) AS cancelled, SUM(latency_sum_ms) AS latency_sum_ms, ${classSums}, ${bucketSums}
  FROM delivery_stats ${where} GROUP BY endpoint_id ORDER BY endpoint_id`;

type TotalsRow = Record<string, string | number | null>;

const totalsOf = (r: TotalsRow): EndpointTotals => ({
  endpointId: String(r.endpoint_id),
  attemptsOk: Number(r.attempts_ok ?? 0),
  attemptsFailed: Number(r.attempts_failed ?? 0),
  succeeded: Number(r.succeeded ?? 0),
  failed: Number(r.failed ?? 0),
  cancelled: Number(r.cancelled ?? 0),
  latencySumMs: Number(r.latency_sum_ms ?? 0),
  byClass: Object.fromEntries(STATUS_CLASSES.map((c) => [c, Number(r[`c_${c}`] ?? 0)])) as EndpointTotals["byClass"],
  latency: Array.from({ length: BUCKETS }, (_, i) => Number(r[`b${i}`] ?? 0)),
});

/** Every endpoint's all-time counters: one row read per endpoint-hour with traffic within the retention. */
export function endpointTotals(sql: SqlStorage): EndpointTotals[] {
  return sql.exec<TotalsRow>(totalsSql()).toArray().map(totalsOf);
}

/**
 * Endpoints one stats call answers: a row each, summed over the window's hours inside the object,
 * so the answer grows with endpoints (~0.5 KB each), never with hours × endpoints (720 hourly rows
 * of 150 endpoints were 51 MB, past the 32 MiB RPC cap). 1,000 rows are ~0.5 MB; more endpoints
 * take further calls (the cursor is the last endpoint id).
 */
export const STATS_ENDPOINTS_PER_CALL = 1000;

/** The roll-ups from `sinceHour` summed per endpoint (one endpoint, or a page of all after `after`). */
export function windowTotals(
  sql: SqlStorage,
  sinceHour: number,
  opts: { endpointId?: string; after?: string },
): EndpointTotals[] {
  const params: (string | number)[] = [sinceHour];
  let where = "WHERE hour >= ?";
  if (opts.endpointId !== undefined) {
    where += " AND endpoint_id = ?";
    params.push(opts.endpointId);
  }
  if (opts.after !== undefined) {
    where += " AND endpoint_id > ?";
    params.push(opts.after);
  }
  return sql
    .exec<TotalsRow>(`${totalsSql(where)} LIMIT ${STATS_ENDPOINTS_PER_CALL}`, ...params)
    .toArray()
    .map(totalsOf);
}

/**
 * Retried deliveries per endpoint and status, through their partial index (INDEXED BY: left to
 * itself the planner prefers walking deliveries_endpoint, which reads every delivery ever kept).
 */
export const RETRIED_BACKLOG_SQL =
  "SELECT endpoint_id, status, COUNT(*) AS n FROM deliveries INDEXED BY deliveries_retrying WHERE status IN ('delivering', 'pending_retry') GROUP BY endpoint_id, status";

/** Open deliveries per endpoint and status: `pending` counted from each endpoint's mark (./pending-marks.ts). */
export function openBacklog(sql: SqlStorage, pending: { endpointId: string; count: number }[]): OpenBacklog[] {
  const retried = sql.exec<{ endpoint_id: string; status: string; n: number }>(RETRIED_BACKLOG_SQL).toArray();
  return [
    ...pending.map((r) => ({ endpointId: r.endpointId, status: "pending" as const, count: r.count })),
    ...retried.map((r) => ({ endpointId: r.endpoint_id, status: r.status as OpenBacklog["status"], count: r.n })),
  ];
}

/** The roll-ups older than `cutoff` (but the carry rows), summed per endpoint into carry-row increments. */
export function expiredStatsAsCarry(sql: SqlStorage, cutoff: number): Increment[] {
  return sql
    .exec<TotalsRow>(totalsSql(`WHERE hour > ${CARRY_HOUR} AND hour < ?`), cutoff)
    .toArray()
    .map((r) => ({ ...totalsOf(r), tenantId: String(r.tenant_id), hour: CARRY_HOUR }));
}
