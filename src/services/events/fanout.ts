/**
 * Fan-out: match an event against its tenant's active endpoints, write the deliveries in one D1
 * batch (idempotent on event + endpoint + origin) and hand each endpoint's share to its dispatcher.
 * Safe to run twice for the same message: rows are INSERT OR IGNORE, and only deliveries still
 * `pending` (never attempted) are handed over, which the dispatcher de-duplicates by id.
 */
import { and, eq, inArray } from "drizzle-orm";
import { newId } from "../../db/ids";
import { deliveries, endpoints, events } from "../../db/schema";
import { matchesChannels, matchesEventType } from "../../delivery/match";
import { eventFilterScope, matchesFilter, type EventFilterScope, type Filter } from "../../delivery/filter";
import { log } from "../../lib/log";
import type { ServiceCtx } from "../context";
import type { EndpointRow } from "../endpoint-snapshot";
import type { EnqueueItem } from "../../dispatcher/endpoint-dispatcher";
import type { EventRow } from "./view";
import { dispatcherFor } from "../endpoints";
import { chunk } from "../../lib/chunk";

export interface FanoutRequest {
  tenantId: string;
  eventId: string;
  origin: string;
}

/** `scope` is shared by every endpoint of one event: its payload is parsed once, its filter work bounded once. */
export function endpointMatches(endpoint: EndpointRow, event: EventRow, scope: EventFilterScope = eventFilterScope(event.type, event.channels ?? [], event.payload)): boolean {
  if (endpoint.status !== "active") return false;
  if (!matchesEventType(endpoint.eventTypes, event.type)) return false;
  if (!matchesChannels(endpoint.channels, event.channels)) return false;
  if (endpoint.filter) return matchesFilter(endpoint.filter as Filter, () => scope.event, scope.budget);
  return true;
}

/** Fans out a batch of events; answers per request whether it completed. Throws only on D1 failure. */
export async function fanOut(ctx: ServiceCtx, requests: FanoutRequest[]): Promise<void> {
  if (!requests.length) return;
  const eventIds = [...new Set(requests.map((r) => r.eventId))];
  const tenantIds = [...new Set(requests.map((r) => r.tenantId))];
  const eventRows: EventRow[] = [];
  for (const ids of chunk(eventIds, 90)) eventRows.push(...(await ctx.db.select().from(events).where(inArray(events.id, ids)).all()));
  const byId = new Map(eventRows.map((e) => [e.id, e]));
  const endpointRows: EndpointRow[] = [];
  for (const ids of chunk(tenantIds, 90)) {
    endpointRows.push(...(await ctx.db.select().from(endpoints).where(and(inArray(endpoints.tenantId, ids), eq(endpoints.status, "active"))).all()));
  }
  const endpointsByTenant = new Map<string, EndpointRow[]>();
  for (const ep of endpointRows) endpointsByTenant.set(ep.tenantId, [...(endpointsByTenant.get(ep.tenantId) ?? []), ep]);

  const now = Date.now();
  const newRows: (typeof deliveries.$inferInsert)[] = [];
  const wanted: { request: FanoutRequest; event: EventRow; endpoint: EndpointRow }[] = [];
  for (const request of requests) {
    const event = byId.get(request.eventId);
    // Deleted since (tenant removed, retention): nothing to deliver.
    if (!event || event.tenantId !== request.tenantId) continue;
    const scope = eventFilterScope(event.type, event.channels ?? [], event.payload);
    for (const endpoint of endpointsByTenant.get(request.tenantId) ?? []) {
      if (!endpointMatches(endpoint, event, scope)) continue;
      wanted.push({ request, event, endpoint });
      newRows.push({
        id: newId("dlv", now),
        tenantId: event.tenantId,
        eventId: event.id,
        endpointId: endpoint.id,
        eventType: event.type,
        origin: request.origin,
        status: "pending",
        attemptCount: 0,
        nextAttemptAt: Math.max(now, event.deliverAt ?? 0),
        createdAt: now,
        updatedAt: now,
      });
    }
    if (scope.budget.exhausted) log.warn("filter.budget_exhausted", { tenant_id: event.tenantId, event_id: event.id });
  }

  // One D1 batch: every delivery row (8 per statement keeps under D1's 100 bound parameters) and
  // the fanned-out marks, so the sweeper never re-queues an event whose deliveries exist.
  const statements = [
    ...chunk(newRows, 8).map((rows) => ctx.db.insert(deliveries).values(rows).onConflictDoNothing()),
    ...chunk(requests.filter((r) => r.origin === "").map((r) => r.eventId), 90).map((ids) =>
      ctx.db.update(events).set({ fannedOutAt: now }).where(inArray(events.id, ids)),
    ),
  ];
  if (statements.length) await ctx.db.batch(statements as [(typeof statements)[number], ...typeof statements]);
  if (!wanted.length) return;

  // Read back the ids that won (a previous run may have inserted them) and their state.
  const stored: { id: string; eventId: string; endpointId: string; origin: string; status: string }[] = [];
  for (const ids of chunk(eventIds, 90)) {
    stored.push(
      ...(await ctx.db
        .select({ id: deliveries.id, eventId: deliveries.eventId, endpointId: deliveries.endpointId, origin: deliveries.origin, status: deliveries.status })
        .from(deliveries)
        .where(inArray(deliveries.eventId, ids))
        .all()),
    );
  }
  const key = (eventId: string, endpointId: string, origin: string) => `${eventId}|${endpointId}|${origin}`;
  const storedByKey = new Map(stored.map((s) => [key(s.eventId, s.endpointId, s.origin), s]));

  const perEndpoint = new Map<string, { endpoint: EndpointRow; items: EnqueueItem[] }>();
  for (const w of wanted) {
    const s = storedByKey.get(key(w.event.id, w.endpoint.id, w.request.origin));
    if (!s || s.status !== "pending") continue;
    const group = perEndpoint.get(w.endpoint.id) ?? { endpoint: w.endpoint, items: [] };
    group.items.push({
      deliveryId: s.id,
      tenantId: w.event.tenantId,
      eventId: w.event.id,
      eventType: w.event.type,
      eventCreatedAt: w.event.createdAt,
      payload: w.event.payload,
      orderingKey: w.event.orderingKey,
      deliverAt: w.event.deliverAt,
      expiresAt: w.event.expiresAt,
    });
    perEndpoint.set(w.endpoint.id, group);
  }
  await Promise.all([...perEndpoint.values()].map((g) => dispatcherFor(ctx.env, g.endpoint.id).enqueue(g.endpoint, g.items)));
}
