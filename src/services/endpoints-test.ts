/**
 * The test button: send one event to one endpoint right now, outside the ladder, and answer the
 * attempt. The event, delivery and attempt are recorded in the TenantLog so the log shows the test too.
 * Rate-limited per tenant here, so the API and the portal's button share one budget.
 */

import { resolveEndpoint } from "../attempts/endpoint-snapshot";
import { attemptRow } from "../attempts/record";
import { sendAttempt } from "../attempts/send-attempt";
import { newId } from "../db/ids";
import { notFound } from "../errors";
import { recordChanges } from "../tenant-log/client";
import { insertTest } from "../tenant-log/log-segments";
import type { ServiceCtx } from "./context";
import { getEndpoint } from "./endpoints";
import { exampleOf } from "./event-types";
import { limitTenantAction } from "./tenant-action-limit";
import { cachedTenant, tenantRef } from "./tenants";

export const TEST_EVENT_TYPE = "webhook.test";

/** The default `webhook.test` data (docs/contract.md "Endpoints"): a message, the time it was sent, and the endpoint when there is one. */
export function defaultTestData(now: number, endpointId?: string) {
  return {
    message: "Test event from Edgehooks",
    timestamp: new Date(now).toISOString(),
    ...(endpointId ? { endpoint_id: endpointId } : {}),
  };
}

export async function testEndpoint(
  ctx: ServiceCtx,
  tenantId: string,
  endpointId: string,
  input: { event_type?: string; data?: unknown },
) {
  await limitTenantAction(ctx.env, tenantId, "test");
  const endpoint = await getEndpoint(ctx, tenantId, endpointId);
  const now = Date.now();
  const type = input.event_type ?? TEST_EVENT_TYPE;
  // No data given: the catalog's example for the type, else a small test payload.
  const example = input.data === undefined ? await exampleOf(ctx, type) : undefined;
  const data = input.data !== undefined ? input.data : (example ?? defaultTestData(now, endpoint.id));
  const event = {
    id: newId("evt", now),
    tenantId,
    type,
    payload: JSON.stringify(data),
    channels: null,
    orderingKey: null,
    deliverAt: null,
    expiresAt: null,
    idempotencyKey: null,
    createdAt: now,
    fannedOutAt: now, // sent directly below; the sweeper must not fan it out
  };
  const delivery = {
    id: newId("dlv", now),
    tenantId,
    eventId: event.id,
    endpointId: endpoint.id,
    eventType: type,
    origin: "test",
    status: "delivering" as const,
    taskId: null,
    attemptCount: 0,
    nextAttemptAt: null,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    sequence: null,
    sequencePrev: null,
    sequenceEpoch: null,
  };
  const placed = await insertTest(
    ctx.env,
    await tenantRef(ctx, tenantId),
    (await cachedTenant(ctx, tenantId)).logCurrentSegment,
    event,
    delivery,
  );
  if (!placed) throw notFound("tenant");
  const resolved = await resolveEndpoint(ctx.env, endpoint, now);
  const result = await sendAttempt({
    endpoint: resolved,
    event: { id: placed.event.id, type, createdAt: now, payload: event.payload },
    number: 1,
    trigger: "test",
    config: ctx.config,
    now: () => Date.now(),
  });
  const ref = { id: placed.delivery.id, tenantId, endpointId: endpoint.id, eventId: placed.event.id };
  await recordChanges(
    ctx.env,
    [
      {
        delivery: ref,
        attempt: result,
        status: result.ok ? "succeeded" : "failed",
        attemptCount: 1,
        nextAttemptAt: null,
      },
    ],
    Date.now(),
  );
  return attemptRow(ref, result);
}
