/**
 * Stats from the hourly roll-ups (delivery_stats in the tenant's TenantLog): a few rows per endpoint-hour, never a scan of
 * the attempts. Latency percentiles come from a histogram, so they are reported as the upper
 * bound of the bucket the percentile falls in (25 ms, 50 ms, 100 ms … 25.6 s, then "over").
 */

import { dispatcherFor } from "../dispatcher/client";
import { LATENCY_BUCKETS_MS } from "../domain/deliveries";
import { chunk } from "../lib/chunk";
import { iso } from "../lib/time";
import { HOURLY_ENDPOINTS_PER_CALL } from "../tenant-log/client";
import { hourlyAcross, statsAcross } from "../tenant-log/log-segments";
import type { EndpointTotals, StatsRow } from "../tenant-log/types";
import type { ServiceCtx } from "./context";
import { getEndpoint } from "./endpoints";
import { getTenant } from "./tenants";

const HOUR = 3600_000;
export const DEFAULT_STATS_WINDOW_MS = 24 * HOUR;

/** An endpoint's roll-ups summed over the window (the TenantLog sums them: its answer stays bounded). */
type Row = Pick<
  EndpointTotals,
  "endpointId" | "attemptsOk" | "attemptsFailed" | "succeeded" | "failed" | "cancelled" | "latency"
>;

export function percentile(histogram: number[], p: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (!total) return null;
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
  }
  return null;
}

function summarise(rows: Row[], pending: number | null) {
  const sum = (k: "attemptsOk" | "attemptsFailed" | "succeeded" | "failed" | "cancelled") =>
    rows.reduce((a, r) => a + r[k], 0);
  const histogram = Array(LATENCY_BUCKETS_MS.length + 1).fill(0) as number[];
  for (const r of rows) for (const [i, n] of r.latency.entries()) histogram[i] = (histogram[i] ?? 0) + n;
  const succeeded = sum("succeeded");
  const failed = sum("failed");
  const finished = succeeded + failed;
  const p = (q: number) => {
    const v = percentile(histogram, q);
    return v === Number.POSITIVE_INFINITY ? null : v;
  };
  return {
    deliveries: { succeeded, failed, cancelled: sum("cancelled"), ...(pending !== null ? { pending } : {}) },
    attempts: {
      total: sum("attemptsOk") + sum("attemptsFailed"),
      succeeded: sum("attemptsOk"),
      failed: sum("attemptsFailed"),
    },
    success_rate: finished ? succeeded / finished : null,
    latency_ms: { p50: p(0.5), p95: p(0.95) },
  };
}

const hourFloor = (ms: number) => Math.floor(ms / HOUR) * HOUR;

export async function endpointStats(ctx: ServiceCtx, tenantId: string, endpointId: string, since: number) {
  await getEndpoint(ctx, tenantId, endpointId);
  const rows = await statsAcross(ctx.env, tenantId, hourFloor(since), endpointId);
  const pending = await dispatcherFor(ctx.env, endpointId).pendingCount();
  return { endpoint_id: endpointId, since: iso(hourFloor(since)), ...summarise(rows, pending) };
}

export async function tenantStats(ctx: ServiceCtx, tenantId: string, since: number) {
  await getTenant(ctx.db, tenantId);
  // A row per endpoint, summed over the log's segments.
  const rows: Row[] = await statsAcross(ctx.env, tenantId, hourFloor(since));
  return {
    tenant_id: tenantId,
    since: iso(hourFloor(since)),
    ...summarise(rows, null),
    endpoints: rows.map((r) => ({ endpoint_id: r.endpointId, ...summarise([r], null) })),
  };
}

/** One hour of an endpoint's traffic, for the portal's charts. */
export interface HourPoint {
  hour: number;
  delivered: number;
  failed: number;
  /** The hour's p95 attempt latency (a bucket's upper bound), null without attempts or beyond 25.6 s. */
  p95: number | null;
}

/** `hours` consecutive hours from `fromHour` (an hour boundary), empty hours included, oldest first. */
function hourlySeries(rows: StatsRow[], fromHour: number, hours: number): HourPoint[] {
  const byHour = new Map<number, StatsRow[]>();
  for (const r of rows) byHour.set(r.hour, [...(byHour.get(r.hour) ?? []), r]);
  return Array.from({ length: hours }, (_, i) => {
    const hour = fromHour + i * HOUR;
    const list = byHour.get(hour) ?? [];
    const s = summarise(list, null);
    return { hour, delivered: s.deliveries.succeeded, failed: s.deliveries.failed, p95: s.latency_ms.p95 };
  });
}

/** The last `hours` hours (the current one included) of each of these endpoints, read in bounded calls. */
export async function hourlyTraffic(
  ctx: ServiceCtx,
  tenantId: string,
  hours: number,
  now: number,
  endpointIds: string[],
) {
  const fromHour = hourFloor(now) - (hours - 1) * HOUR;
  const rows = (
    await Promise.all(
      chunk(endpointIds, HOURLY_ENDPOINTS_PER_CALL).map((ids) => hourlyAcross(ctx.env, tenantId, fromHour, ids)),
    )
  ).flat();
  const byEndpoint = new Map<string, StatsRow[]>();
  for (const r of rows) byEndpoint.set(r.endpointId, [...(byEndpoint.get(r.endpointId) ?? []), r]);
  return new Map([...byEndpoint].map(([id, list]) => [id, hourlySeries(list, fromHour, hours)]));
}

/** An endpoint's series with no traffic at all, for an endpoint the roll-ups have not seen. */
export function emptySeries(hours: number, now: number): HourPoint[] {
  return hourlySeries([], hourFloor(now) - (hours - 1) * HOUR, hours);
}
