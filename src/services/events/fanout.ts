/**
 * Fan-out, per tenant: TenantLog calls, each bounded, match the tenant's events against its active
 * endpoints and write the deliveries (idempotent on event + endpoint + origin), then each
 * endpoint's share of each page is handed to its dispatcher. Safe to run twice: only deliveries still
 * `pending` (never attempted) are handed over, and dispatchers de-duplicate by delivery id.
 * Tenants run side by side and fail alone, so a poisoned tenant never holds up another.
 */
import { and, eq } from "drizzle-orm";
import { endpoints } from "../../db/schema";
import { dispatcherFor, type EnqueueItem } from "../../dispatcher/client";
import { routableFilter } from "../../delivery/filter";
import { endpointOwnerOf, tenantLogFor } from "../../tenant-log/client";
import { FANOUT_EVENTS_PER_CALL } from "../../tenant-log/tenant-log";
import type { FanoutPlan } from "../../tenant-log/types";
import { SUBREQUESTS_PER_INVOCATION } from "../../lib/platform-limits";
import { FanoutContinuation, type FanoutResume } from "./fanout-continuation";
import type { ServiceCtx } from "../context";
import { snapshotOf, type EndpointRow } from "../../attempts/endpoint-snapshot";

export interface FanoutRequest {
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
      ...extra,
    });
    perEndpoint.set(d.endpointId, items);
  }
  if (budget) {
    if (perEndpoint.size > budget.left) return false;
    budget.left -= perEndpoint.size;
  }
  await Promise.all([...perEndpoint].map(([id, items]) => dispatcherFor(ctx.env, id).enqueue(snapshotOf(byId.get(id)!), items)));
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
  const routable = list.map((e) => ({ id: e.id, status: e.status, eventTypes: e.eventTypes, channels: e.channels, filter: routableFilter(e.filter) }));
  const byId = new Map(list.map((e) => [e.id, e]));
  const tenantLog = tenantLogFor(ctx.env, tenantId);
  const later = new FanoutContinuation(tenantId);
  /** Hands over the pages of `handled` after `after`; false when the budget stopped it (the rest is queued). */
  const handPages = async (handled: Request[], first: FanoutPlan & { next: string | null }, after: string) => {
    for (let page = first; ; ) {
      if (!(await handOff(ctx, page, byId, {}, budget))) {
        later.resume(handled, after);
        return false;
      }
      if (page.next === null) return true;
      after = page.next;
      page = await tenantLog.fanOutPage(handled, after);
    }
  };
  for (const r of resumes) {
    if (budget.left <= 0) later.resume(r.requests, r.after);
    else await handPages(r.requests, await tenantLog.fanOutPage(r.requests, r.after), r.after);
  }
  for (let rest = requests; rest.length; ) {
    if (budget.left <= 0) {
      later.fanOut(rest);
      break;
    }
    const slice = rest.slice(0, FANOUT_EVENTS_PER_CALL);
    const step = await tenantLog.fanOut(slice, routable, Date.now());
    if (step.handled < 1) throw new Error("fan-out made no progress");
    await handPages(slice.slice(0, step.handled), step, "");
    rest = rest.slice(step.handled);
  }
  await later.send(ctx.env);
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
  const of = (tenantId: string) => byTenant.get(tenantId) ?? byTenant.set(tenantId, { requests: [], resumes: [] }).get(tenantId)!;
  for (const r of requests) of(r.tenantId).requests.push({ eventId: r.eventId, origin: r.origin });
  for (const r of resumes) of(r.tenantId).resumes.push(r);
  const tenants = [...byTenant.keys()];
  const budget = new HandoffBudget();
  const settled = await Promise.allSettled(tenants.map((t) => fanOutTenant(ctx, t, byTenant.get(t)!.requests, budget, byTenant.get(t)!.resumes)));
  return new Map(tenants.map((t, i) => [t, settled[i]!]));
}

/** Fans out a batch of events of any tenants; throws if any tenant's fan-out failed. */
export async function fanOut(ctx: ServiceCtx, requests: FanoutRequest[]): Promise<void> {
  for (const outcome of (await fanOutByTenant(ctx, requests)).values()) if (outcome.status === "rejected") throw outcome.reason;
}
