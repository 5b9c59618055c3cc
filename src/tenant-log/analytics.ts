/**
 * Workers Analytics Engine, when the optional DELIVERY_ANALYTICS binding is configured: one data
 * point per recorded attempt, written by the TenantLog when the attempt row is first inserted (an
 * outbox replay inserts nothing and writes no second point). Blobs: tenant, endpoint, event type,
 * outcome, error kind, trigger; doubles: duration (ms), HTTP status (0 when there was no answer);
 * index: the tenant (Analytics Engine samples per index, so one busy tenant cannot crowd out the
 * others). writeDataPoint is fire-and-forget; a failing dataset never fails the record.
 */
import { errorFields, log } from "../lib/log";
import type { AttemptResult } from "../attempts/send-attempt";
import type { DeliveryRef } from "./types";

export function attemptDataPoint(delivery: DeliveryRef, eventType: string, a: AttemptResult): AnalyticsEngineDataPoint {
  return {
    indexes: [delivery.tenantId],
    blobs: [delivery.tenantId, delivery.endpointId, eventType, a.ok ? "succeeded" : "failed", a.error ?? "", a.trigger],
    doubles: [a.durationMs, a.statusCode ?? 0],
  };
}

export function writeDataPoints(dataset: AnalyticsEngineDataset | undefined, points: AnalyticsEngineDataPoint[]) {
  if (!dataset) return;
  for (const p of points) {
    try {
      dataset.writeDataPoint(p);
    } catch (err) {
      log.warn("analytics.write_failed", { ...errorFields(err) });
      return;
    }
  }
}
