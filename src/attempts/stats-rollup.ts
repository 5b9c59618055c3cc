/**
 * Turns recorded outcomes into hourly roll-up increments (delivery_stats), written in the same
 * TenantLog transaction as the attempts: one upsert per endpoint-hour touched, never one per attempt.
 */

import { statusClass } from "../delivery/status-class";
import { LATENCY_BUCKETS_MS, STATUS_CLASSES, type StatusClass } from "../domain/deliveries";
import { valuesIn } from "../lib/table-insert";
import type { DeliveryChange } from "./record";

const HOUR = 3600_000;
const BUCKETS = LATENCY_BUCKETS_MS.length + 1;

export interface Increment {
  endpointId: string;
  tenantId: string;
  hour: number;
  attemptsOk: number;
  attemptsFailed: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  latency: number[];
  latencySumMs: number;
  byClass: Record<StatusClass, number>;
}

export function latencyBucket(ms: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

/**
 * `before` holds each delivery's status before these changes: a status counts only when a delivery
 * reaches it, so a manual retry of a succeeded delivery adds an attempt and no second success.
 */
export function rollup(changes: DeliveryChange[], now: number, before = new Map<string, string>()): Increment[] {
  const byKey = new Map<string, Increment>();
  const status = new Map(before);
  for (const ch of changes) {
    const at = ch.attempt?.startedAt ?? now;
    const hour = Math.floor(at / HOUR) * HOUR;
    const key = `${ch.delivery.endpointId}|${hour}`;
    let inc = byKey.get(key);
    if (!inc) {
      inc = {
        endpointId: ch.delivery.endpointId,
        tenantId: ch.delivery.tenantId,
        hour,
        attemptsOk: 0,
        attemptsFailed: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        latency: Array(BUCKETS).fill(0),
        latencySumMs: 0,
        byClass: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, none: 0 },
      };
      byKey.set(key, inc);
    }
    if (ch.attempt) {
      if (ch.attempt.ok) inc.attemptsOk++;
      else inc.attemptsFailed++;
      // Blocked attempts never left the Worker: they say nothing about the receiver's latency.
      if (ch.attempt.error !== "blocked_destination") {
        inc.latency[latencyBucket(ch.attempt.durationMs)]!++;
        inc.latencySumMs += ch.attempt.durationMs;
      }
      inc.byClass[statusClass(ch.attempt.statusCode)]++;
    }
    const reached = ch.status && ch.status !== status.get(ch.delivery.id) ? ch.status : undefined;
    if (ch.status) status.set(ch.delivery.id, ch.status);
    if (reached === "succeeded") inc.succeeded++;
    else if (reached === "failed") inc.failed++;
    else if (reached === "cancelled") inc.cancelled++;
  }
  return [...byKey.values()];
}

const latencyMerge = `json_array(${Array.from({ length: BUCKETS }, (_, i) => `json_extract(delivery_stats.latency, '$[${i}]') + json_extract(excluded.latency, '$[${i}]')`).join(", ")})`;

/** An endpoint-hour's key columns. */
const KEY_COLUMNS = ["endpoint_id", "tenant_id", "hour"] as const;
/** Counters an upsert adds to what the hour already holds; one per status class (src/domain/deliveries.ts). */
const SUMMED_COLUMNS = [
  "attempts_ok",
  "attempts_failed",
  "succeeded",
  "failed",
  "cancelled",
  "latency_sum_ms",
  ...STATUS_CLASSES.map((c) => `attempts_${c}` as const),
] as const;
/** The columns an upsert writes (the DDL is src/tenant-log/migrations.ts; test/tenant-log/insert-columns.test.ts holds them together). */
export const STATS_COLUMNS = [...KEY_COLUMNS, ...SUMMED_COLUMNS, "latency"] as const;
type StatsColumn = (typeof STATS_COLUMNS)[number];

/** The upsert's parameters, in its column order. */
export function upsertParams(i: Increment): SqlStorageValue[] {
  const row: Record<StatsColumn, SqlStorageValue> = {
    endpoint_id: i.endpointId,
    tenant_id: i.tenantId,
    hour: i.hour,
    attempts_ok: i.attemptsOk,
    attempts_failed: i.attemptsFailed,
    succeeded: i.succeeded,
    failed: i.failed,
    cancelled: i.cancelled,
    latency: JSON.stringify(i.latency),
    latency_sum_ms: i.latencySumMs,
    attempts_2xx: i.byClass["2xx"],
    attempts_3xx: i.byClass["3xx"],
    attempts_4xx: i.byClass["4xx"],
    attempts_5xx: i.byClass["5xx"],
    attempts_none: i.byClass.none,
  };
  return valuesIn(STATS_COLUMNS, row) as SqlStorageValue[];
}

/** One upsert per endpoint-hour, with upsertParams(increment): counters add up, latency buckets merge. */
export const UPSERT_STATS = `INSERT INTO delivery_stats (${STATS_COLUMNS.join(", ")})
  VALUES (${STATS_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (endpoint_id, hour) DO UPDATE SET
    ${SUMMED_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(",\n    ")},
    latency = ${latencyMerge}`;
