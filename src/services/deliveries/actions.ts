/**
 * Hand actions on one delivery: retry now (a manual attempt, answered synchronously) and cancel.
 * Both go through the endpoint's dispatcher so they are serialised with its ladder. Retry is
 * rate-limited per tenant here, so the API and the portal's "Retry now" share one budget.
 */

import { snapshotOf } from "../../attempts/endpoint-snapshot";
import { attemptRow } from "../../attempts/record";
import { dispatcherFor } from "../../dispatcher/client";
import { FINAL_STATUSES } from "../../domain/deliveries";
import { ApiError, notFound } from "../../errors";
import { logForId } from "../../tenant-log/client";
import type { ServiceCtx } from "../context";
import { getEndpoint } from "../endpoints";
import { limitTenantAction } from "../tenant-action-limit";
import { deliveryDetail, getDelivery } from "./query";

export async function retryDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  await limitTenantAction(ctx.env, tenantId, "retry");
  const { delivery, event } = await deliveryDetail(ctx, tenantId, deliveryId);
  const endpoint = await getEndpoint(ctx, tenantId, delivery.endpointId).catch(() => {
    throw new ApiError("conflict", "the delivery's endpoint was deleted");
  });
  if (!event) throw new ApiError("conflict", "the event's payload is no longer retained");
  const result = await dispatcherFor(ctx.env, endpoint.id).attemptNow(snapshotOf(endpoint), {
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
    traceId: event.traceId ?? null,
    traceFlags: event.traceFlags ?? null,
    // Sent with its webhook-sequence; a manual retry is the one attempt that does not wait for its lane.
    lane:
      delivery.sequence === null
        ? null
        : { n: delivery.sequence, prev: delivery.sequencePrev, epoch: delivery.sequenceEpoch ?? 0 },
  });
  return attemptRow({ id: delivery.id, tenantId, endpointId: endpoint.id, eventId: event.id }, result);
}

export async function cancelDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  const delivery = await getDelivery(ctx, tenantId, deliveryId);
  if ((FINAL_STATUSES as readonly string[]).includes(delivery.status)) {
    throw new ApiError("conflict", `the delivery is already ${delivery.status}`);
  }
  // The dispatcher drops it from its schedule (and writes the status); a delivery it never got
  // (fan-out still in flight) is cancelled in the log directly, and the dispatcher skips it later.
  const held = await dispatcherFor(ctx.env, delivery.endpointId).cancel(delivery.id);
  const log = logForId(ctx.env, tenantId, deliveryId);
  const row = held ? await log.getDelivery(deliveryId) : await log.cancel(deliveryId, Date.now());
  if (!row) throw notFound("delivery");
  return row;
}
