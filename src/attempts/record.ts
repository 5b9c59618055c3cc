/**
 * What an attempt changes, as the TenantLog records it: attempt rows and delivery state changes.
 * The write itself goes through the TenantLog's client (recordChanges in src/tenant-log/client.ts):
 * calls of at most 250 changes per tenant (attempts, statuses and stats roll-ups in one transaction each).
 */
import type { DeliveryStatus } from "../domain/deliveries";
import type { AttemptResult } from "./send-attempt";

export interface DeliveryRef {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
}

export interface DeliveryChange {
  delivery: DeliveryRef;
  attempt?: AttemptResult;
  /** The new status; absent to leave it as it is (a manual attempt that failed). */
  status?: DeliveryStatus;
  /** A manual success may finish a delivery in any state (failed, cancelled). */
  force?: boolean;
  attemptCount?: number;
  nextAttemptAt?: number | null;
}

export function attemptRow(delivery: DeliveryRef, a: AttemptResult) {
  return {
    id: a.id,
    deliveryId: delivery.id,
    tenantId: delivery.tenantId,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    number: a.number,
    trigger: a.trigger,
    url: a.url,
    startedAt: a.startedAt,
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    responseBody: a.responseBody,
    error: a.error,
    errorDetail: a.errorDetail,
    requestHeaders: a.requestHeaders,
  };
}

/** Changes grouped by tenant: each tenant's TenantLog records its own in one call. */
export function changesByTenant(changes: DeliveryChange[]): Map<string, DeliveryChange[]> {
  const byTenant = new Map<string, DeliveryChange[]>();
  for (const ch of changes) byTenant.set(ch.delivery.tenantId, [...(byTenant.get(ch.delivery.tenantId) ?? []), ch]);
  return byTenant;
}
