/**
 * What the dispatcher reports outward: an endpoint the receiver disabled (410 or
 * `webhook-delivery: disable`) or that failed for 5 days, and delivery milestones as operational events.
 */
import { and, eq } from "drizzle-orm";
import { endpoints } from "../db/schema";
import { getDb } from "../db/client";
import type { DeliveryRef } from "../attempts/record";
import type { EndpointSnapshot } from "../attempts/endpoint-snapshot";
import { queueOperational } from "../attempts/queue-operational";
import type { OperationalType } from "../domain/operational";

export interface OperationalSignal {
  type: Extract<OperationalType, "delivery.failing" | "delivery.exhausted" | "delivery.recovered">;
  delivery: DeliveryRef;
  attempts: number;
  /** The delivered event's type: a delivery of a tenant alert raises no alert of its own. */
  eventType: string;
}

export async function onEndpointDisabledByReceiver(env: Env, endpoint: EndpointSnapshot, reason: "gone" | "failing") {
  const now = Date.now();
  await getDb(env)
    .update(endpoints)
    .set({ status: "disabled", disabledReason: reason, disabledAt: now, updatedAt: now, version: endpoint.version + 1 })
    .where(and(eq(endpoints.id, endpoint.id), eq(endpoints.status, "active")));
  await queueOperational(env, [{ type: "endpoint.disabled", tenantId: endpoint.tenantId, data: { endpoint_id: endpoint.id, reason } }]);
}

export async function onOperationalSignals(env: Env, endpoint: EndpointSnapshot, signals: OperationalSignal[]) {
  await queueOperational(
    env,
    signals.map((s) => ({
      type: s.type,
      tenantId: endpoint.tenantId,
      data: { endpoint_id: endpoint.id, delivery_id: s.delivery.id, event_id: s.delivery.eventId, attempts: s.attempts },
      eventType: s.eventType,
    })),
  );
}
