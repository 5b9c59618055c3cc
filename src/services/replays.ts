/**
 * Replays: send again, by filter, what a tenant's endpoints got (`retry`) or never got (`missing`),
 * after an incident. See docs/replays.md for the contract.
 *
 * A dry run answers the plan (counts per endpoint and per status) and sends nothing. Otherwise the
 * replay is a task in every segment of the tenant's log (like recover, src/services/recover.ts),
 * counted with the very walk the plan uses, so it sends what its plan said. Its pages write the
 * deliveries in the log and hand them to their endpoints' dispatchers, which pace them by each
 * endpoint's rate limit and in-flight cap. One call hands at most REPLAY_PAGES_PER_CALL pages;
 * the rest is resumed by the sweep (its TenantLog's alarm sees the task still handing out), so
 * the work of any one invocation is bounded whatever the replay covers.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { EndpointRow } from "../attempts/endpoint-snapshot";
import { newId } from "../db/ids";
import { endpoints as endpointsTable, taskOwners } from "../db/schema";
import { routableFilter } from "../delivery/filter";
import type { RoutableEndpoint } from "../delivery/match";
import type { StatusClass } from "../domain/deliveries";
import { TASK_PAGE_SUBREQUESTS } from "../domain/sweep";
import { ApiError, notFound } from "../errors";
import { errorFields, log } from "../lib/log";
import { iso } from "../lib/time";
import { endpointOwnerOf, tenantLogFor } from "../tenant-log/client";
import { taskSegments } from "../tenant-log/log-segments";
import type { ReplayFilter, ReplayMode, ReplayStatus } from "../tenant-log/replay-query";
import type { TenantLog } from "../tenant-log/tenant-log";
import type { ReplayCount } from "../tenant-log/types";
import type { ServiceCtx } from "./context";
import { activeEndpoints, handOff } from "./events/fanout";
import { taskView } from "./recover";
import { withdrawDeliveries } from "./task-withdraw";
import { limitTenantAction } from "./tenant-action-limit";
import { getTenant } from "./tenants";

const DAY = 24 * 3600_000;

/**
 * Deliveries one replay sends at most (the recover bound, MAX_RECOVER): a larger incident is
 * replayed in several windows. It bounds the plan's scan, the task's rows and a cancel's work.
 */
const MAX_REPLAY = 10_000;
/**
 * How far apart `since` and `until` may be: a week. A replay reaches back over the log's segments
 * (a day each by default); this keeps a plan to a handful of segment reads, and a longer outage is
 * replayed a week at a time.
 */
export const REPLAY_MAX_WINDOW_MS = 7 * DAY;
/**
 * Deliveries per page at most (about: a missing event's go whole): one TenantLog call, then one
 * dispatcher call per endpoint in the page, so a page costs at most REPLAY_PAGE + 2 subrequests.
 */
const REPLAY_PAGE = 90;
/**
 * Pages one API call (or one sweep) hands out: at most 10 × 92 subrequests, a tenth of the 10,000
 * a Worker invocation may make (SUBREQUESTS_PER_INVOCATION). The rest is resumed by the sweep.
 */
const REPLAY_PAGES_PER_CALL = 10;
// A page's calls are what the sweep's bound counts for a task page (src/domain/sweep.ts).
if (REPLAY_PAGE + 2 > TASK_PAGE_SUBREQUESTS)
  throw new Error("a replay page makes more subrequests than the sweep counts for it");

/** Endpoint ids one replay may name (it may name none: every active endpoint of the tenant). */
export const REPLAY_MAX_ENDPOINT_IDS = 100;

interface ReplayInput {
  mode: ReplayMode;
  endpoint_ids?: string[];
  event_types?: string[];
  statuses?: ReplayStatus[];
  status_class?: StatusClass;
  channel?: string;
  since: number;
  until?: number;
  dry_run?: boolean;
}

/** The plan of a dry run: what the replay would send, in total, per endpoint and per status. */
interface ReplayPlanView {
  mode: ReplayMode;
  total: number;
  by_endpoint: { endpoint_id: string; count: number }[];
  by_status: Record<string, number>;
  /** More matched than one replay sends (MAX_REPLAY): replay the rest in a later window. */
  truncated: boolean;
}

/** POST /v1/tenants/{t}/replays: the plan (dry run), or the running task. Rate-limited per tenant. */
export async function replay(ctx: ServiceCtx, tenantId: string, input: ReplayInput) {
  await limitTenantAction(ctx.env, tenantId, "replay");
  await getTenant(ctx.db, tenantId);
  const now = Date.now();
  const until = input.until ?? now;
  checkWindow(input.since, until);
  const covered = await coveredEndpoints(ctx, tenantId, input.endpoint_ids);
  const filter: ReplayFilter = {
    mode: input.mode,
    endpointIds: covered.map((e) => e.id),
    eventTypes: input.event_types ?? null,
    statuses: input.statuses ?? null,
    statusClass: input.status_class ?? null,
    channel: input.channel ?? null,
    since: input.since,
    until,
    asOf: now,
  };
  const routable = covered.map(routableOf);
  if (input.dry_run) return { dryRun: true as const, plan: await planAcross(ctx, tenantId, filter, routable, now) };
  return { dryRun: false as const, task: await startReplay(ctx, tenantId, input, filter, covered, now) };
}

function checkWindow(since: number, until: number) {
  if (until < since)
    throw new ApiError("bad_request", "until must not be before since", [{ path: "until", message: "before since" }]);
  if (until - since > REPLAY_MAX_WINDOW_MS)
    throw new ApiError("bad_request", "a replay covers at most 7 days; replay a longer outage a window at a time", [
      { path: "until", message: "more than 7 days after since" },
    ]);
}

/**
 * The endpoints a replay covers: the named ones (each must be this tenant's, else 404, and active,
 * else 409: a disabled endpoint would only hold what a replay sends), or every active one.
 */
async function coveredEndpoints(ctx: ServiceCtx, tenantId: string, ids: string[] | undefined): Promise<EndpointRow[]> {
  if (!ids) return (await activeEndpoints(ctx, tenantId)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const unique = [...new Set(ids)];
  const rows = await ctx.db
    .select()
    .from(endpointsTable)
    .where(and(eq(endpointsTable.tenantId, tenantId), inArray(endpointsTable.id, unique)))
    .all();
  const found = new Map(rows.map((r) => [r.id, r]));
  const missing = unique.filter((id) => !found.has(id));
  if (missing.length) throw notFound(`endpoint ${missing[0]}`);
  const disabled = rows.filter((r) => r.status !== "active");
  if (disabled.length)
    throw new ApiError("conflict", `endpoint ${disabled[0]!.id} is disabled; enable it before replaying to it`, [
      { path: "endpoint_ids", message: `${disabled[0]!.id} is disabled` },
    ]);
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

const routableOf = (e: EndpointRow): RoutableEndpoint => ({
  id: e.id,
  status: e.status,
  eventTypes: e.eventTypes,
  channels: e.channels,
  filter: routableFilter(e.filter),
});

/** The plan over every segment, oldest first, MAX_REPLAY in all: the order createReplay counts in. */
async function planAcross(
  ctx: ServiceCtx,
  tenantId: string,
  filter: ReplayFilter,
  routable: RoutableEndpoint[],
  now: number,
): Promise<ReplayPlanView> {
  const counts: ReplayCount[] = [];
  let left = MAX_REPLAY;
  let truncated = false;
  for (const tenantLog of await taskSegments(ctx.env, tenantId)) {
    if (left === 0) {
      // Full already: one more delivery anywhere later means the replay leaves some out.
      truncated ||= (await tenantLog.replayPlan(filter, routable, 0, now)).more;
      if (truncated) break;
      continue;
    }
    const part = await tenantLog.replayPlan(filter, routable, left, now);
    counts.push(...part.counts);
    left -= part.counts.reduce((n, c) => n + c.count, 0);
    truncated ||= part.more;
  }
  return planView(filter.mode, counts, truncated);
}

/**
 * The plan of a `missing` replay to one endpoint over [since, until] (at most REPLAY_MAX_WINDOW_MS
 * apart): the events it never got there. The same bounded walk as a dry run's; it spends no
 * action budget, being the count an endpoint's own read shows (src/services/endpoint-missed.ts).
 */
export async function planMissing(ctx: ServiceCtx, endpoint: EndpointRow, since: number, until: number) {
  const now = Date.now();
  const filter: ReplayFilter = {
    mode: "missing",
    endpointIds: [endpoint.id],
    eventTypes: null,
    statuses: null,
    statusClass: null,
    channel: null,
    since,
    until,
    asOf: now,
  };
  return planAcross(ctx, endpoint.tenantId, filter, [routableOf(endpoint)], now);
}

/** Sums the segments' counts into the plan's shape. */
function planView(mode: ReplayMode, counts: ReplayCount[], truncated: boolean): ReplayPlanView {
  const byEndpoint = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const c of counts) {
    byEndpoint.set(c.endpointId, (byEndpoint.get(c.endpointId) ?? 0) + c.count);
    byStatus[c.status] = (byStatus[c.status] ?? 0) + c.count;
    total += c.count;
  }
  const by_endpoint = [...byEndpoint]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([endpoint_id, count]) => ({ endpoint_id, count }));
  return { mode, total, by_endpoint, by_status: byStatus, truncated };
}

async function startReplay(
  ctx: ServiceCtx,
  tenantId: string,
  input: ReplayInput,
  filter: ReplayFilter,
  covered: EndpointRow[],
  now: number,
) {
  const id = newId("task", now);
  // The owner row first: a task the API cannot find must never exist.
  await ctx.db.insert(taskOwners).values({ id, tenantId });
  const params: Record<string, string | string[] | null> = {
    mode: input.mode,
    endpoint_ids: input.endpoint_ids ?? null,
    covered_endpoint_ids: filter.endpointIds,
    event_types: filter.eventTypes,
    statuses: filter.statuses,
    status_class: filter.statusClass,
    channel: filter.channel,
    since: iso(filter.since),
    until: iso(filter.until),
  };
  const routable = covered.map(routableOf);
  const rows = [];
  let left = MAX_REPLAY;
  for (const tenantLog of await taskSegments(ctx.env, tenantId)) {
    const { task } = await tenantLog.createReplay(
      {
        id,
        tenantId,
        endpointId: "",
        kind: "replay",
        params,
        createdAt: now,
        windowSince: filter.since,
        windowUntil: filter.until,
        updatedAt: now,
      },
      filter,
      routable,
      left,
    );
    left -= task.total;
    rows.push(task);
  }
  const total = rows.reduce((n, r) => n + r.total, 0);
  await runReplay(ctx, tenantId, id, new Map(covered.map((e) => [e.id, e])), REPLAY_PAGES_PER_CALL).catch((err) =>
    log.warn("replay hand-off stopped; the sweeper resumes it", {
      task_id: id,
      tenant_id: tenantId,
      ...errorFields(err),
    }),
  );
  return taskView({ ...rows[0]!, total, handed: 0 }, 0);
}

/** Hands out a replay's pages, segment after segment, at most `maxPages` in all. */
async function runReplay(
  ctx: ServiceCtx,
  tenantId: string,
  taskId: string,
  covered: Map<string, EndpointRow>,
  maxPages: number,
) {
  let pages = 0;
  for (const tenantLog of await taskSegments(ctx.env, tenantId)) {
    if (pages >= maxPages) return;
    pages += await runReplayIn(ctx, tenantLog, taskId, covered, maxPages - pages);
  }
}

/** The sweep's resume of a replay stalled in one log object (named as its sweep message names it). */
export async function resumeReplay(
  ctx: ServiceCtx,
  objectName: string,
  taskId: string,
  params: Record<string, unknown>,
  maxPages: number,
) {
  const ids = Array.isArray(params.covered_endpoint_ids) ? (params.covered_endpoint_ids as string[]) : [];
  // Endpoints deleted or disabled since the start are left out: nothing would go out to them.
  const active = (await activeEndpoints(ctx, endpointOwnerOf(objectName))).filter((e) => ids.includes(e.id));
  await runReplayIn(ctx, tenantLogFor(ctx.env, objectName), taskId, new Map(active.map((e) => [e.id, e])), maxPages);
}

/** Runs a replay in one segment for at most `maxPages` pages; answers the pages it took. */
async function runReplayIn(
  ctx: ServiceCtx,
  tenantLog: DurableObjectStub<TenantLog>,
  taskId: string,
  covered: Map<string, EndpointRow>,
  maxPages: number,
) {
  const routable = [...covered.values()].map(routableOf);
  for (let pages = 0; pages < maxPages; pages++) {
    const page = await tenantLog.replayPage(taskId, routable, REPLAY_PAGE, Date.now());
    if (!page) return pages;
    for (const plan of page.plans) await handOff(ctx, plan, covered);
    // A cancel that landed while this page was on its way: take back what it just handed.
    if (page.written && (await tenantLog.taskCancelled(taskId))) {
      await withdrawDeliveries(
        ctx,
        page.plans.flatMap((p) => p.deliveries),
      );
      return pages + 1;
    }
    if (page.last) return pages + 1;
  }
  return maxPages;
}
