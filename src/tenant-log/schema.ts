/**
 * The TenantLog's own SQLite (one Durable Object per tenant): that tenant's traffic. The column
 * shapes match what the API answers, so the views read these rows as they read D1's before.
 * Times are integer milliseconds since the epoch; JSON columns hold text. Indexes are few on
 * purpose: every index a write touches is one more row written (and billed).
 * The SQL that creates these tables is in ./migrations.ts (hand-written, versioned).
 */
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { AttemptError, AttemptTrigger, DeliveryStatus } from "../domain/deliveries";

const json = <T>(name: string) => text(name, { mode: "json" }).$type<T>();

export const events = sqliteTable("events", {
  id: text("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  type: text("type").notNull(),
  /** The producer's `data`, as JSON text. */
  payload: text("payload").notNull(),
  channels: json<string[]>("channels"),
  orderingKey: text("ordering_key"),
  deliverAt: integer("deliver_at"),
  expiresAt: integer("expires_at"),
  idempotencyKey: text("idempotency_key"),
  createdAt: integer("created_at").notNull(),
  /** Set when the fan-out has written the deliveries; the sweeper re-queues events left null. */
  fannedOutAt: integer("fanned_out_at"),
  /** W3C trace id (32 hex) and flags (2 hex) of the ingest request's `traceparent`, if it had a valid one. */
  traceId: text("trace_id"),
  traceFlags: text("trace_flags"),
});

/** Idempotency keys live 24 h; a repeat within that window answers the stored event. */
export const idempotencyKeys = sqliteTable("idempotency_keys", {
  key: text("key").primaryKey(),
  eventId: text("event_id").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

export const deliveries = sqliteTable("deliveries", {
  id: text("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  eventId: text("event_id").notNull(),
  endpointId: text("endpoint_id").notNull(),
  eventType: text("event_type").notNull(),
  /** What created it: "" for the event's own fan-out, "resend:<id>" or "test" otherwise. */
  origin: text("origin").notNull(),
  status: text("status").$type<DeliveryStatus>().notNull(),
  /** The recover task that last re-queued this delivery, so the task can count its progress. */
  taskId: text("task_id"),
  attemptCount: integer("attempt_count").notNull(),
  nextAttemptAt: integer("next_attempt_at"),
  lastAttemptAt: integer("last_attempt_at"),
  lastStatusCode: integer("last_status_code"),
  lastError: text("last_error"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** Its place in the lane of its endpoint and ordering key (./lanes.ts): N, sent as `webhook-sequence`. */
  sequence: integer("sequence"),
  /** The delivery with N - 1 in the same lane (null for the first of a run). */
  sequencePrev: text("sequence_prev"),
  /** When the lane's run began: N counts from 1 again in a new run (a lane idle past the retention). */
  sequenceEpoch: integer("sequence_epoch"),
  // attempt_ids (v9): its attempts' ids, a JSON array only ./delivery-attempts.ts reads and writes;
  // left out here so no delivery read carries it.
});

export const attempts = sqliteTable("attempts", {
  id: text("id").primaryKey(),
  deliveryId: text("delivery_id").notNull(),
  tenantId: text("tenant_id").notNull(),
  endpointId: text("endpoint_id").notNull(),
  eventId: text("event_id").notNull(),
  number: integer("number").notNull(),
  trigger: text("trigger").$type<AttemptTrigger>().notNull(),
  url: text("url").notNull(),
  startedAt: integer("started_at").notNull(),
  durationMs: integer("duration_ms").notNull(),
  statusCode: integer("status_code"),
  /** The first 16 KiB of the receiver's answer. */
  responseBody: text("response_body"),
  error: text("error").$type<AttemptError | null>(),
  errorDetail: text("error_detail"),
  /**
   * The request headers sent, with secret values masked; stored without the four the row itself
   * says, and put back by every read of the TenantLog (src/attempts/stored-headers.ts).
   */
  requestHeaders: json<Record<string, string>>("request_headers").notNull(),
});

/** Hourly roll-ups per endpoint, added to in the same transaction that records attempts. */
export const deliveryStats = sqliteTable(
  "delivery_stats",
  {
    endpointId: text("endpoint_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    hour: integer("hour").notNull(),
    attemptsOk: integer("attempts_ok").notNull().default(0),
    attemptsFailed: integer("attempts_failed").notNull().default(0),
    succeeded: integer("succeeded").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    cancelled: integer("cancelled").notNull().default(0),
    latency: json<number[]>("latency").notNull(),
    /** Sum of the latencies counted in `latency` (the Prometheus histogram's `_sum`). */
    latencySumMs: integer("latency_sum_ms").notNull().default(0),
    /** Attempts per HTTP status class; `none` is an attempt that got no answer (timeout, blocked…). */
    attempts2xx: integer("attempts_2xx").notNull().default(0),
    attempts3xx: integer("attempts_3xx").notNull().default(0),
    attempts4xx: integer("attempts_4xx").notNull().default(0),
    attempts5xx: integer("attempts_5xx").notNull().default(0),
    attemptsNone: integer("attempts_none").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.hour] })],
);

/**
 * Long-running operations (recover, replay; a replay's `endpoint_id` is "", its filter in `params`). `cursor` is the last delivery id handed to the dispatcher:
 * a run that stops anywhere resumes after it, so nothing is marked before it was handed over.
 */
export const tasks = sqliteTable("tasks", {
  id: text("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  endpointId: text("endpoint_id").notNull(),
  kind: text("kind").$type<"recover" | "replay">().notNull(),
  params: json<Record<string, string | string[] | null>>("params").notNull(),
  total: integer("total").notNull(),
  createdAt: integer("created_at").notNull(),
  windowSince: integer("window_since").notNull(),
  windowUntil: integer("window_until").notNull(),
  cursor: text("cursor"),
  /** Deliveries handed over so far; the final `total` once the last page is out. */
  handed: integer("handed").notNull().default(0),
  /** Set once every page was handed over; until then the sweeper resumes it. */
  handedOutAt: integer("handed_out_at"),
  updatedAt: integer("updated_at").notNull(),
  /** Set by POST /v1/tasks/{id}/cancel: nothing more is handed out, and what was handed is withdrawn. */
  cancelledAt: integer("cancelled_at"),
});

/** Queue messages that exhausted their retries: kept so nothing is dropped, re-drivable. */
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  queue: text("queue").notNull(),
  /** fanout | operational | unknown (a body no version of the code understands). */
  kind: text("kind").notNull(),
  body: text("body").notNull(),
  attempts: integer("attempts").notNull(),
  /** How many times it was queued again; the sweeper stops re-driving at a bound. */
  redrives: integer("redrives").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Set when it was queued again; kept until retention so a second re-drive answers 409. */
  redrivenAt: integer("redriven_at"),
});

/**
 * Each lane's tail in this segment shard: the last N given to a delivery of that endpoint and key
 * (./lanes.ts). The row with endpoint_id '' marks a key whose tails were brought over from the
 * segment before.
 */
export const lanes = sqliteTable(
  "lanes",
  {
    orderingKey: text("ordering_key").notNull(),
    endpointId: text("endpoint_id").notNull(),
    lastN: integer("last_n").notNull(),
    lastDeliveryId: text("last_delivery_id"),
    epoch: integer("epoch").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderingKey, t.endpointId] })],
);

/** Small settings of the object: the tenant incarnation it belongs to, retention, tombstone. */
export const meta = sqliteTable("meta", {
  k: text("k").primaryKey(),
  v: text("v").notNull(),
});
