/**
 * Turns recorded outcomes into hourly roll-up increments (delivery_stats), written in the same D1
 * batch as the attempts: one upsert per endpoint-hour touched, never one per attempt.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { deliveryStats, LATENCY_BUCKETS_MS } from "../../db/schema";
import type { DeliveryChange } from "./record";

const HOUR = 3600_000;
const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

interface Increment {
  endpointId: string;
  tenantId: string;
  hour: number;
  attemptsOk: number;
  attemptsFailed: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  latency: number[];
}

export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

export function rollup(changes: DeliveryChange[], now: number): Increment[] {
  const byKey = new Map<string, Increment>();
  for (const ch of changes) {
    const at = ch.attempt?.startedAt ?? now;
    const hour = Math.floor(at / HOUR) * HOUR;
    const key = `${ch.delivery.endpointId}|${hour}`;
    let inc = byKey.get(key);
    if (!inc) {
      inc = { endpointId: ch.delivery.endpointId, tenantId: ch.delivery.tenantId, hour, attemptsOk: 0, attemptsFailed: 0, succeeded: 0, failed: 0, cancelled: 0, latency: Array(BUCKETS).fill(0) };
      byKey.set(key, inc);
    }
    if (ch.attempt) {
      if (ch.attempt.ok) inc.attemptsOk++;
      else inc.attemptsFailed++;
      // Blocked attempts never left the Worker: they say nothing about the receiver's latency.
      if (ch.attempt.error !== "blocked_destination") inc.latency[latencyBucket(ch.attempt.durationMs)]!++;
    }
    if (ch.status === "succeeded") inc.succeeded++;
    else if (ch.status === "failed") inc.failed++;
    else if (ch.status === "cancelled") inc.cancelled++;
  }
  return [...byKey.values()];
}

const latencyMerge = sql.raw(
  `json_array(${Array.from({ length: BUCKETS }, (_, i) => `json_extract(delivery_stats.latency, '$[${i}]') + json_extract(excluded.latency, '$[${i}]')`).join(", ")})`,
);

export function rollupStatements(db: Db, increments: Increment[]) {
  const add = (column: keyof typeof deliveryStats.$inferSelect, name: string) => sql`${deliveryStats[column]} + excluded.${sql.raw(name)}`;
  return increments.map((i) =>
    db
      .insert(deliveryStats)
      .values(i)
      .onConflictDoUpdate({
        target: [deliveryStats.endpointId, deliveryStats.hour],
        set: {
          attemptsOk: add("attemptsOk", "attempts_ok"),
          attemptsFailed: add("attemptsFailed", "attempts_failed"),
          succeeded: add("succeeded", "succeeded"),
          failed: add("failed", "failed"),
          cancelled: add("cancelled", "cancelled"),
          latency: latencyMerge,
        },
      }),
  );
}
