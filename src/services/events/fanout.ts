/**
 * Fan-out, per tenant: one TenantLog call matches the tenant's events against its active
 * endpoints and writes the deliveries (idempotent on event + endpoint + origin), then each
 * endpoint's share is handed to its dispatcher. Safe to run twice: only deliveries still
 * `pending` (never attempted) are handed over, and dispatchers de-duplicate by delivery id.
 * Tenants run side by side and fail alone, so a poisoned tenant never holds up another.
 */
import { and, eq } from "drizzle-orm";
import { endpoints } from "../../db/schema";
import { dispatcherFor, type EnqueueItem } from "../../dispatcher/client";
import { endpointOwnerOf, tenantLogFor } from "../../tenant-log/client";
import type { FanoutPlan } from "../../tenant-log/types";
import type { ServiceCtx } from "../context";
import type { EndpointRow } from "../../attempts/endpoint-snapshot";

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

/** Hands every planned delivery to its endpoint's dispatcher, one call per endpoint. */
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
  await Promise.all([...perEndpoint].map(([id, items]) => dispatcherFor(ctx.env, id).enqueue(byId.get(id)!, items)));
}

/** Fans out one tenant's events: one TenantLog call, then one dispatcher call per endpoint. */
export async function fanOutTenant(ctx: ServiceCtx, tenantId: string, requests: { eventId: string; origin: string }[]): Promise<void> {
  if (!requests.length) return;
  const list = await activeEndpoints(ctx, endpointOwnerOf(tenantId));
  const routable = list.map((e) => ({ id: e.id, status: e.status, eventTypes: e.eventTypes, channels: e.channels, filter: e.filter }));
  const plan = await tenantLogFor(ctx.env, tenantId).fanOut(requests, routable, Date.now());
  await handOff(ctx, plan, new Map(list.map((e) => [e.id, e])));
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
