/**
 * GET /metrics, gathered: the tenants of one page (D1, by id), each tenant's all-time counters
 * and open backlog from its TenantLog (asked in parallel, one RPC each), which endpoints are
 * disabled (D1: their backlog is held) and, for active endpoints that have a backlog, whether
 * their breaker is open (their dispatcher, at most MAX_BREAKER_CHECKS per scrape). Every piece of
 * work is bounded: a scrape reads at most `metricsMaxTenants` tenants and answers a cursor for the
 * rest. Durable numbers only: nothing here is per isolate but the rows-written family.
 */

import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { endpoints, tenants } from "../db/schema";
import { dispatcherFor } from "../dispatcher/client";
import { chunk } from "../lib/chunk";
import { errorFields, log } from "../lib/log";
import { IDS_PER_IN_LIST } from "../lib/platform-limits";
import { metricsAcross } from "../tenant-log/log-segments";
import { parseShardChanges, type SegmentRange } from "../tenant-log/segments";
import type { TenantMetrics } from "../tenant-log/types";
import type { ServiceCtx } from "./context";
import { getTenant } from "./tenants";

/** Dispatchers asked about their breaker per scrape; beyond it the backlog keeps its status and is counted as unchecked. */
const MAX_BREAKER_CHECKS = 100;

type BacklogState = "pending" | "delivering" | "retrying" | "held" | "breaker_open";
export const BACKLOG_STATES: readonly BacklogState[] = ["pending", "delivering", "retrying", "held", "breaker_open"];

interface TenantScrape {
  tenantId: string;
  /** Null when the tenant's log did not answer (counted in edgehooks_scrape_errors). */
  metrics: TenantMetrics | null;
  /** Open deliveries per endpoint and state. */
  backlog: Map<string, Record<BacklogState, number>>;
}

export interface Scrape {
  tenants: TenantScrape[];
  /** The last tenant id of this page when more tenants follow. */
  nextAfter: string | null;
  breakerUnchecked: number;
}

const zeroBacklog = (): Record<BacklogState, number> => ({
  pending: 0,
  delivering: 0,
  retrying: 0,
  held: 0,
  breaker_open: 0,
});

/** One tenant (`tenant`), or a page of tenants after `after` in id order. */
async function tenantPage(
  ctx: ServiceCtx,
  opts: { tenant?: string; after?: string },
): Promise<{ ids: string[]; ranges: SegmentRange[]; nextAfter: string | null }> {
  if (opts.tenant !== undefined) {
    const row = await getTenant(ctx.db, opts.tenant);
    return {
      ids: [row.id],
      ranges: [
        { first: row.logFirstSegment, current: row.logCurrentSegment, shards: parseShardChanges(row.logShardHistory) },
      ],
      nextAfter: null,
    };
  }
  const cap = ctx.config.metricsMaxTenants;
  const rows = await ctx.db
    .select({
      id: tenants.id,
      first: tenants.logFirstSegment,
      current: tenants.logCurrentSegment,
      shards: tenants.logShardHistory,
    })
    .from(tenants)
    .where(opts.after !== undefined ? gt(tenants.id, opts.after) : undefined)
    .orderBy(asc(tenants.id))
    .limit(cap + 1)
    .all();
  const page = rows.slice(0, cap);
  const ids = page.map((r) => r.id);
  // Each tenant's log segments, read with its id: no second D1 read per tenant.
  return {
    ids,
    ranges: page.map((r) => ({ first: r.first, current: r.current, shards: parseShardChanges(r.shards) })),
    nextAfter: rows.length > cap ? ids[ids.length - 1]! : null,
  };
}

async function disabledEndpoints(ctx: ServiceCtx, tenantIds: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunk(tenantIds, IDS_PER_IN_LIST)) {
    const rows = await ctx.db
      .select({ id: endpoints.id })
      .from(endpoints)
      .where(and(inArray(endpoints.tenantId, part), eq(endpoints.status, "disabled")))
      .all();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

export async function scrapeMetrics(ctx: ServiceCtx, opts: { tenant?: string; after?: string }): Promise<Scrape> {
  const { ids, ranges, nextAfter } = await tenantPage(ctx, opts);
  const [settled, disabled] = await Promise.all([
    Promise.allSettled(ids.map((id, i) => metricsAcross(ctx.env, id, ranges[i]))),
    disabledEndpoints(ctx, ids),
  ]);
  const scrapes: TenantScrape[] = ids.map((tenantId, i) => {
    const s = settled[i]!;
    if (s.status === "rejected")
      log.error("metrics.tenant_log_failed", { tenant_id: tenantId, ...errorFields(s.reason) });
    return { tenantId, metrics: s.status === "fulfilled" ? s.value : null, backlog: new Map() };
  });

  // Active endpoints with an open backlog: is it waiting on the breaker? Asked in parallel, bounded.
  const open = scrapes.flatMap((t) =>
    [...new Set((t.metrics?.backlog ?? []).map((b) => b.endpointId))].filter((e) => !disabled.has(e)),
  );
  const checked = open.slice(0, MAX_BREAKER_CHECKS);
  const answers = await Promise.allSettled(checked.map((id) => dispatcherFor(ctx.env, id).breakerOpen()));
  const breakerOpen = new Set(
    checked.filter(
      (_, i) => answers[i]!.status === "fulfilled" && (answers[i] as PromiseFulfilledResult<boolean>).value,
    ),
  );

  for (const t of scrapes) {
    for (const b of t.metrics?.backlog ?? []) {
      const states = t.backlog.get(b.endpointId) ?? zeroBacklog();
      const state: BacklogState = disabled.has(b.endpointId)
        ? "held"
        : breakerOpen.has(b.endpointId)
          ? "breaker_open"
          : b.status === "pending_retry"
            ? "retrying"
            : b.status;
      states[state] += b.count;
      t.backlog.set(b.endpointId, states);
    }
  }
  return { tenants: scrapes, nextAfter, breakerUnchecked: open.length - checked.length };
}
