/**
 * Writes attempt results and delivery state changes to the tenant's TenantLog: one call per
 * tenant per outbox flush (attempts, statuses and stats roll-ups in one transaction there).
 */
import { tenantLogFor } from "../tenant-log/client";
import type { DeliveryChange, DeliveryRef } from "../tenant-log/types";
import type { AttemptResult } from "./send-attempt";

export type { DeliveryChange, DeliveryRef };

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

export async function recordChanges(env: Env, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  const byTenant = new Map<string, DeliveryChange[]>();
  for (const ch of changes) byTenant.set(ch.delivery.tenantId, [...(byTenant.get(ch.delivery.tenantId) ?? []), ch]);
  await Promise.all([...byTenant].map(([tenantId, list]) => tenantLogFor(env, tenantId).record(list, now)));
}
