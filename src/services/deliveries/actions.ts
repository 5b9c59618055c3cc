/**
 * Hand actions on one delivery: retry now (a manual attempt, answered synchronously) and cancel.
 * Both go through the endpoint's dispatcher so they are serialised with its ladder.
 */
import { and, eq, notInArray } from "drizzle-orm";
import { deliveries, events } from "../../db/schema";
import { ApiError, notFound } from "../../errors";
import type { ServiceCtx } from "../context";
import { dispatcherFor, getEndpoint } from "../endpoints";
import { attemptRow } from "./record";
import { getDelivery } from "./query";

const FINAL = ["succeeded", "failed", "cancelled"] as const;

export async function retryDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  const delivery = await getDelivery(ctx, tenantId, deliveryId);
  const endpoint = await getEndpoint(ctx, tenantId, delivery.endpointId).catch(() => {
    throw new ApiError("conflict", "the delivery's endpoint was deleted");
  });
  const event = await ctx.db.select().from(events).where(eq(events.id, delivery.eventId)).get();
  if (!event) throw new ApiError("conflict", "the event's payload is no longer retained");
  const result = await dispatcherFor(ctx.env, endpoint.id).attemptNow(endpoint, {
    deliveryId: delivery.id,
    tenantId,
    eventId: event.id,
    eventType: event.type,
    eventCreatedAt: event.createdAt,
    payload: event.payload,
    orderingKey: event.orderingKey,
    deliverAt: null,
    expiresAt: event.expiresAt,
    number: delivery.attemptCount + 1,
  });
  return attemptRow({ id: delivery.id, tenantId, endpointId: endpoint.id, eventId: event.id }, result);
}

export async function cancelDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  const delivery = await getDelivery(ctx, tenantId, deliveryId);
  if ((FINAL as readonly string[]).includes(delivery.status)) {
    throw new ApiError("conflict", `the delivery is already ${delivery.status}`);
  }
  // The dispatcher drops it from its schedule (and writes the status); a delivery it never got
  // (fan-out still in flight) is cancelled in D1 directly, and the dispatcher skips it later.
  const held = await dispatcherFor(ctx.env, delivery.endpointId).cancel(delivery.id);
  if (!held) {
    await ctx.db
      .update(deliveries)
      .set({ status: "cancelled", nextAttemptAt: null, updatedAt: Date.now() })
      .where(and(eq(deliveries.id, delivery.id), notInArray(deliveries.status, [...FINAL])));
  }
  const row = await getDelivery(ctx, tenantId, deliveryId);
  if (!row) throw notFound("delivery");
  return row;
}
