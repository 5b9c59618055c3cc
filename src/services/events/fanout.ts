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
import { bySegment, endpointOwnerOf, logForId } from "../../tenant-log/client";
import { FANOUT_EVENTS_PER_CALL } from "../../tenant-log/tenant-log";
import type { FanoutPlan } from "../../tenant-log/types";
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
 * Hands every planned delivery to its endpoint's dispatcher, one call per endpoint. A plan is one
 * page bounded in bytes (src/tenant-log/handoff-page.ts), so each call is too; an event whose
 * payload the page left out goes without it and the dispatcher loads it by id.
 */
export async function handOff(ctx: ServiceCtx, plan: FanoutPlan, byId: Map<string, EndpointRow>, extra: Partial<EnqueueItem> = {}) {
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
  await Promise.all([...perEndpoint].map(([id, items]) => dispatcherFor(ctx.env, id).enqueue(snapshotOf(byId.get(id)!), items)));
}

/**
 * Fans out one tenant's events in bounded steps: each TenantLog call matches at most
 * FANOUT_EVENTS_PER_CALL of them (fewer when their payloads are large or they make many deliveries)
 * and answers one page of what to hand over; further pages come from fanOutPage. Each page goes to
 * the dispatchers before the next is asked for, so what this holds at once is one page, whatever the
 * batch. A failure anywhere throws: the queue message is retried, and the re-run hands over again
 * every delivery still `pending` (the same path, not only the sweeper).
 */
export async function fanOutTenant(ctx: ServiceCtx, tenantId: string, requests: { eventId: string; origin: string }[]): Promise<void> {
  if (!requests.length) return;
  // Each event's deliveries are written in the segment that holds it (its id names it).
  for (const [, part] of bySegment(requests, (r) => r.eventId)) await fanOutSegment(ctx, tenantId, part);
}

async function fanOutSegment(ctx: ServiceCtx, tenantId: string, requests: { eventId: string; origin: string }[]): Promise<void> {
  const list = await activeEndpoints(ctx, endpointOwnerOf(tenantId));
  const routable = list.map((e) => ({ id: e.id, status: e.status, eventTypes: e.eventTypes, channels: e.channels, filter: routableFilter(e.filter) }));
  const byId = new Map(list.map((e) => [e.id, e]));
  const tenantLog = logForId(ctx.env, tenantId, requests[0]!.eventId);
  for (let rest = requests; rest.length; ) {
    const slice = rest.slice(0, FANOUT_EVENTS_PER_CALL);
    const step = await tenantLog.fanOut(slice, routable, Date.now());
    if (step.handled < 1) throw new Error("fan-out made no progress");
    await handOff(ctx, step, byId);
    const handled = slice.slice(0, step.handled);
    for (let next = step.next; next !== null; ) {
      const page = await tenantLog.fanOutPage(handled, next);
      await handOff(ctx, page, byId);
      next = page.next;
    }
    rest = rest.slice(step.handled);
  }
}

/**
 * Fans out requests of any tenants, grouped per tenant and run side by side. Answers each
 * tenant's outcome (the consumer acks or retries that tenant's messages alone); throws nothing.
 */
export async function fanOutByTenant(ctx: ServiceCtx, requests: FanoutRequest[]): Promise<Map<string, PromiseSettledResult<void>>> {
  const byTenant = new Map<string, { eventId: string; origin: string }[]>();
  for (const r of requests) {
    const list = byTenant.get(r.tenantId);
    if (list) list.push({ eventId: r.eventId, origin: r.origin });
    else byTenant.set(r.tenantId, [{ eventId: r.eventId, origin: r.origin }]);
  }
  const tenants = [...byTenant.keys()];
  const settled = await Promise.allSettled(tenants.map((t) => fanOutTenant(ctx, t, byTenant.get(t)!)));
  return new Map(tenants.map((t, i) => [t, settled[i]!]));
}

/** Fans out a batch of events of any tenants; throws if any tenant's fan-out failed. */
export async function fanOut(ctx: ServiceCtx, requests: FanoutRequest[]): Promise<void> {
  for (const outcome of (await fanOutByTenant(ctx, requests)).values()) if (outcome.status === "rejected") throw outcome.reason;
}
