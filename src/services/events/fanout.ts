/**
 * Fan-out, per tenant: TenantLog calls, each bounded, match the tenant's events against its active
 * endpoints and write the deliveries (idempotent on event + endpoint + origin), then each
 * endpoint's share of each page is handed to its dispatcher. Safe to run twice: only deliveries still
 * `pending` (never attempted) are handed over, and dispatchers de-duplicate by delivery id.
 * Tenants run side by side and fail alone, so a poisoned tenant never holds up another.
 */
import { and, eq } from "drizzle-orm";
import { type EndpointRow, snapshotOf } from "../../attempts/endpoint-snapshot";
import { endpoints } from "../../db/schema";
import { routableFilter } from "../../delivery/filter";
import type { RoutableEndpoint } from "../../delivery/match";
import { dispatcherFor, type EnqueueItem } from "../../dispatcher/client";
import { SUBREQUESTS_PER_INVOCATION } from "../../lib/platform-limits";
import { bySegment, endpointOwnerOf, logForId } from "../../tenant-log/client";
import { segmentsOf } from "../../tenant-log/log-segments";
import { FANOUT_EVENTS_PER_CALL } from "../../tenant-log/tenant-log";
import type { FanoutPlan, LaneContext } from "../../tenant-log/types";
import type { ServiceCtx } from "../context";
import { FanoutContinuation, type FanoutResume } from "./fanout-continuation";

interface FanoutRequest {
  tenantId: string;
  eventId: string;
  origin: string;
}

/** The tenant's endpoints that can receive anything now (D1, configuration). */
export async function activeEndpoints(ctx: ServiceCtx, tenantId: string): Promise<EndpointRow[]> {
  return ctx.db
    .select()
    .from(endpoints)
    .where(and(eq(endpoints.tenantId, tenantId), eq(endpoints.status, "active")))
    .all();
}

/**
 * Dispatcher calls one consumer invocation makes to hand deliveries over, across all its tenants.
 * Each is a subrequest, and Workers Paid allows 10,000 per invocation (SUBREQUESTS_PER_INVOCATION);
 * half of it leaves room for the TenantLog calls, D1 reads and queue sends of the same invocation.
 * A fan-out can need far more: one batch of 8 events to 1,250 endpoints is 10,000 calls, 100
 * events to 1,000 endpoints 100,000. Past the budget a fan-out stops between two pages and queues
 * the rest (./fanout-continuation.ts), which the next invocation takes up by the same path.
 */
export const HANDOFF_CALLS_PER_INVOCATION = SUBREQUESTS_PER_INVOCATION / 2;

/** What is left of one invocation's HANDOFF_CALLS_PER_INVOCATION, shared by its tenants. */
export class HandoffBudget {
  constructor(public left: number = HANDOFF_CALLS_PER_INVOCATION) {}
}

/**
 * Hands every planned delivery to its endpoint's dispatcher, one call per endpoint. A plan is one
 * page bounded in bytes (src/tenant-log/handoff-page.ts), so each call is too; an event whose
 * payload the page left out goes without it and the dispatcher loads it by id. With a budget, a
 * page that needs more calls than are left is not handed at all, and false says so.
 */
export async function handOff(
  ctx: ServiceCtx,
  plan: FanoutPlan,
  byId: Map<string, EndpointRow>,
  extra: Partial<EnqueueItem> = {},
  budget?: HandoffBudget,
): Promise<boolean> {
  const events = new Map(plan.events.map((e) => [e.id, e]));
  const perEndpoint = new Map<string, EnqueueItem[]>();
  for (const d of plan.deliveries) {
    const event = events.get(d.eventId);
    if (!event || !byId.has(d.endpointId)) continue;
    const items = perEndpoint.get(d.endpointId) ?? [];
    items.push({
      deliveryId: d.id,
      tenantId: event.tenantId,
      eventId: event.id,
      eventType: event.type,
      eventCreatedAt: event.createdAt,
      payload: event.payload,
      orderingKey: event.orderingKey,
      deliverAt: event.deliverAt,
      expiresAt: event.expiresAt,
      traceId: event.traceId ?? null,
      traceFlags: event.traceFlags ?? null,
      lane: d.lane ?? null,
      ...extra,
    });
    perEndpoint.set(d.endpointId, items);
  }
  if (budget) {
    if (perEndpoint.size > budget.left) return false;
    budget.left -= perEndpoint.size;
  }
  await Promise.all(
    [...perEndpoint].map(([id, items]) => dispatcherFor(ctx.env, id).enqueue(snapshotOf(byId.get(id)!), items)),
  );
  return true;
}

type Request = { eventId: string; origin: string };

/**
 * Fans out one tenant's events in bounded steps: each TenantLog call matches at most
 * FANOUT_EVENTS_PER_CALL of them (fewer when their payloads are large or they make many deliveries)
 * and answers one page of what to hand over; further pages come from fanOutPage. Each page goes to
 * the dispatchers before the next is asked for, so what this holds at once is one page, whatever the
 * batch. When the invocation's hand-off budget runs out, what is left is queued as continuation
 * messages (handed-over pages are never handed again). A failure anywhere throws: the queue message
 * is retried, and the re-run hands over again every delivery still `pending` (the same path, not
 * only the sweeper).
 */
export async function fanOutTenant(
  ctx: ServiceCtx,
  tenantId: string,
  requests: Request[],
  budget = new HandoffBudget(),
  resumes: FanoutResume[] = [],
): Promise<void> {
  if (!requests.length && !resumes.length) return;
  const list = await activeEndpoints(ctx, endpointOwnerOf(tenantId));
  const endpoints = {
    routable: list.map((e) => ({
      id: e.id,
      status: e.status,
      eventTypes: e.eventTypes,
      channels: e.channels,
      filter: routableFilter(e.filter),
    })),
    byId: new Map(list.map((e) => [e.id, e])),
  };
  const later = new FanoutContinuation(tenantId);
  // Each event's deliveries are written in the segment that holds it (its id names it).
  for (const r of resumes)
    for (const [, part] of bySegment(r.requests, (q) => q.eventId))
      await fanOutSegment(ctx, tenantId, endpoints, budget, later, { resume: { requests: part, after: r.after } });
  for (const [, part] of bySegment(requests, (r) => r.eventId))
    await fanOutSegment(ctx, tenantId, endpoints, budget, later, { requests: part });
  await later.send(ctx.env);
}

/** One segment's share: a resume (hand over what is written, after its cursor) or requests to match and hand over. */
async function fanOutSegment(
  ctx: ServiceCtx,
  tenantId: string,
  endpoints: { routable: RoutableEndpoint[]; byId: Map<string, EndpointRow> },
  budget: HandoffBudget,
  later: FanoutContinuation,
  work: { requests: Request[] } | { resume: FanoutResume },
): Promise<void> {
  const first = "resume" in work ? work.resume.requests[0] : work.requests[0];
  if (!first) return;
  const tenantLog = logForId(ctx.env, tenantId, first.eventId);
  const laneContext = async (): Promise<LaneContext> => {
    const range = await segmentsOf(ctx.env, tenantId);
    return { logName: tenantId, first: range.first, shards: range.shards };
  };
  /** Hands over the pages of `handled` after `after`; when the budget stops it, the rest is queued. */
  const handPages = async (handled: Request[], firstPage: FanoutPlan & { next: string | null }, after: string) => {
    for (let page = firstPage; ; ) {
      if (!(await handOff(ctx, page, endpoints.byId, {}, budget))) return later.resume(handled, after);
      if (page.next === null) return;
      after = page.next;
      page = await tenantLog.fanOutPage(handled, after);
    }
  };
  if ("resume" in work) {
    const { requests, after } = work.resume;
    if (budget.left <= 0) later.resume(requests, after);
    else await handPages(requests, await tenantLog.fanOutPage(requests, after), after);
    return;
  }
  for (let rest = work.requests; rest.length; ) {
    if (budget.left <= 0) {
      later.fanOut(rest);
      break;
    }
    const slice = rest.slice(0, FANOUT_EVENTS_PER_CALL);
    let step = await tenantLog.fanOut(slice, endpoints.routable, Date.now());
    // An ordering key new to this segment: its lane continues from the segment before, found in D1's range.
    if (step.needsLanes) step = await tenantLog.fanOut(slice, endpoints.routable, Date.now(), await laneContext());
    if (step.handled < 1) throw new Error("fan-out made no progress");
    // Keyed events behind earlier ones of their key that this call could not take: they go again.
    if (step.deferred?.length) later.fanOut(step.deferred.map((eventId) => ({ eventId, origin: "" })));
    await handPages(slice.slice(0, step.handled), step, "");
    rest = rest.slice(step.handled);
  }
}

/**
 * Fans out requests of any tenants, grouped per tenant and run side by side. Answers each
 * tenant's outcome (the consumer acks or retries that tenant's messages alone); throws nothing.
 */
export async function fanOutByTenant(
  ctx: ServiceCtx,
  requests: FanoutRequest[],
  resumes: (FanoutResume & { tenantId: string })[] = [],
): Promise<Map<string, PromiseSettledResult<void>>> {
  const byTenant = new Map<string, { requests: Request[]; resumes: FanoutResume[] }>();
  const of = (tenantId: string) =>
    byTenant.get(tenantId) ?? byTenant.set(tenantId, { requests: [], resumes: [] }).get(tenantId)!;
  for (const r of requests) of(r.tenantId).requests.push({ eventId: r.eventId, origin: r.origin });
  for (const r of resumes) of(r.tenantId).resumes.push(r);
  const tenants = [...byTenant.keys()];
  const budget = new HandoffBudget();
  const settled = await Promise.allSettled(
    tenants.map((t) => fanOutTenant(ctx, t, byTenant.get(t)!.requests, budget, byTenant.get(t)!.resumes)),
  );
  return new Map(tenants.map((t, i) => [t, settled[i]!]));
}

/** Fans out a batch of events of any tenants; throws if any tenant's fan-out failed. */
export async function fanOut(ctx: ServiceCtx, requests: FanoutRequest[]): Promise<void> {
  for (const outcome of (await fanOutByTenant(ctx, requests)).values())
    if (outcome.status === "rejected") throw outcome.reason;
}
