/**
 * Workers Analytics Engine, when the optional DELIVERY_ANALYTICS binding is configured: one data
 * point per recorded attempt, written by the TenantLog when the attempt row is first inserted (an
 * outbox replay inserts nothing and writes no second point). Blobs: tenant, endpoint, event type,
 * outcome, error kind, trigger; doubles: duration (ms), HTTP status (0 when there was no answer);
 * index: the tenant (Analytics Engine samples per index, so one busy tenant cannot crowd out the
 * others). writeDataPoint is fire-and-forget; a failing dataset never fails the record.
 */

import type { AttemptResult } from "../attempts/send-attempt";
import { errorFields, log } from "../lib/log";
import { ANALYTICS_POINTS_PER_INVOCATION, PlatformLimitError } from "../lib/platform-limits";
import type { DeliveryRef } from "./types";

export function attemptDataPoint(delivery: DeliveryRef, eventType: string, a: AttemptResult): AnalyticsEngineDataPoint {
  return {
    indexes: [delivery.tenantId],
    blobs: [delivery.tenantId, delivery.endpointId, eventType, a.ok ? "succeeded" : "failed", a.error ?? "", a.trigger],
    doubles: [a.durationMs, a.statusCode ?? 0],
  };
}

/**
 * Writes the points of one invocation: at most ANALYTICS_POINTS_PER_INVOCATION, the platform drops
 * the rest silently. Callers keep within it (recordChanges sends at most that many attempts per
 * call); past it the overflow is logged rather than lost without a word.
 */
export function writeDataPoints(dataset: AnalyticsEngineDataset | undefined, points: AnalyticsEngineDataPoint[]) {
  if (!dataset) return;
  if (points.length > ANALYTICS_POINTS_PER_INVOCATION)
    log.warn("analytics.points_dropped", { dropped: points.length - ANALYTICS_POINTS_PER_INVOCATION });
  for (const p of points.slice(0, ANALYTICS_POINTS_PER_INVOCATION)) {
    try {
      dataset.writeDataPoint(p);
    } catch (err) {
      // The limits layer's refusal is a bug to see in tests, not a dataset failure to shrug off.
      if (err instanceof PlatformLimitError) throw err;
      log.warn("analytics.write_failed", { ...errorFields(err) });
      return;
    }
  }
}
