/**
 * D1 is the system of record for configuration, events, deliveries and attempts.
 * Times are integer milliseconds since the epoch; JSON columns hold text.
 * Encrypted columns (`*_enc`) hold AES-GCM ciphertext from src/lib/crypto.ts, never plain text.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const json = <T>(name: string) => text(name, { mode: "json" }).$type<T>();

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  metadata: json<Record<string, string>>("metadata").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    /** First characters of the key, to recognise it in a list without revealing it. */
    hint: text("hint").notNull(),
    scopes: json<string[]>("scopes").notNull(),
    tenantId: text("tenant_id"),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash)],
);

export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    url: text("url").notNull(),
    description: text("description").notNull(),
    eventTypes: json<string[]>("event_types"),
    channels: json<string[]>("channels"),
    filter: json<unknown>("filter"),
    /** Encrypted JSON of the live secrets, newest first: [{ secret, expires_at|null }]. */
    secretsEnc: text("secrets_enc").notNull(),
    /** Encrypted JSON of custom headers { name: value }. */
    headersEnc: text("headers_enc"),
    /** Encrypted JSON of the auth config. */
    authEnc: text("auth_enc"),
    /** Names of the custom headers, kept in clear so the API can list them without values. */
    headerNames: json<string[]>("header_names"),
    authType: text("auth_type"),
    signature: json<unknown>("signature"),
    envelope: text("envelope").notNull(),
    retryPolicy: json<unknown>("retry_policy"),
    rateLimitPerS: integer("rate_limit_per_s"),
    maxInFlight: integer("max_in_flight"),
    timeoutMs: integer("timeout_ms").notNull(),
    metadata: json<Record<string, string>>("metadata").notNull(),
    status: text("status").$type<"active" | "disabled">().notNull(),
    disabledReason: text("disabled_reason").$type<"manual" | "gone" | "failing" | null>(),
    disabledAt: integer("disabled_at"),
    /** Bumped on every change so the dispatcher can tell a stale snapshot from a fresh one. */
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("endpoints_tenant").on(t.tenantId, t.id)],
);

export const events = sqliteTable(
  "events",
  {
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
    /** Set when the fan-out has written the deliveries; the sweeper re-enqueues events left null. */
    fannedOutAt: integer("fanned_out_at"),
  },
  (t) => [
    index("events_tenant").on(t.tenantId, t.id),
    index("events_tenant_type").on(t.tenantId, t.type, t.id),
    index("events_unfanned").on(t.fannedOutAt, t.createdAt),
  ],
);

/** Idempotency keys live 24 h; a repeat within that window answers the stored event. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    eventId: text("event_id").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.key] })],
);

export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "pending_retry" | "failed" | "cancelled";

export const deliveries = sqliteTable(
  "deliveries",
  {
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
  },
  (t) => [
    uniqueIndex("deliveries_origin").on(t.eventId, t.endpointId, t.origin),
    index("deliveries_tenant").on(t.tenantId, t.id),
    index("deliveries_endpoint").on(t.endpointId, t.id),
    index("deliveries_tenant_status").on(t.tenantId, t.status, t.id),
    index("deliveries_task").on(t.taskId),
  ],
);

export type AttemptTrigger = "scheduled" | "manual" | "test" | "recover";
export type AttemptError = "timeout" | "connection" | "dns" | "blocked_destination" | "tls";

export const attempts = sqliteTable(
  "attempts",
  {
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
    responseBody: text("response_body"),
    error: text("error").$type<AttemptError | null>(),
    errorDetail: text("error_detail"),
    /** The request headers sent, with secret values masked. */
    requestHeaders: json<Record<string, string>>("request_headers").notNull(),
  },
  (t) => [
    index("attempts_delivery").on(t.deliveryId, t.number),
    index("attempts_tenant").on(t.tenantId, t.id),
    index("attempts_endpoint").on(t.endpointId, t.id),
  ],
);

/** Messages that exhausted their queue retries: recorded so nothing is dropped, re-drivable. */
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  queue: text("queue").notNull(),
  body: text("body").notNull(),
  attempts: integer("attempts").notNull(),
  createdAt: integer("created_at").notNull(),
  redrivenAt: integer("redriven_at"),
});

/** Long-running operations (recover) with progress readable at GET /v1/tasks/{id}. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    kind: text("kind").$type<"recover">().notNull(),
    params: json<Record<string, unknown>>("params").notNull(),
    total: integer("total").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("tasks_tenant").on(t.tenantId, t.id)],
);

/** The optional event-type catalog: descriptions, JSON schemas (validated at ingest) and examples. */
export const eventTypes = sqliteTable("event_types", {
  name: text("name").primaryKey(),
  description: text("description").notNull(),
  schema: json<Record<string, unknown> | boolean>("schema"),
  example: json<unknown>("example"),
  deprecated: integer("deprecated", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Upper bounds (ms) of the attempt-latency histogram buckets; the last bucket is open-ended. */
export const LATENCY_BUCKETS_MS = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600] as const;

/**
 * Hourly roll-ups per endpoint, added to in the same D1 batch that records attempts, so stats
 * read a few rows per endpoint-hour instead of scanning the attempts table.
 */
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
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.hour] }), index("delivery_stats_tenant").on(t.tenantId, t.hour)],
);

/** Portal sessions: a magic link for one tenant. The token is stored hashed, like API keys. */
export const portalSessions = sqliteTable(
  "portal_sessions",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    readOnly: integer("read_only", { mode: "boolean" }).notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
    /** SHA-256 of the one-time login code the link carries (null for sessions made before codes). */
    loginCodeHash: text("login_code_hash"),
    loginCodeExpiresAt: integer("login_code_expires_at"),
    loginCodeUsedAt: integer("login_code_used_at"),
    /** SHA-256 of the browser cookie minted when the code was used. */
    cookieHash: text("cookie_hash"),
  },
  (t) => [
    uniqueIndex("portal_sessions_token").on(t.tokenHash),
    index("portal_sessions_tenant").on(t.tenantId, t.id),
    uniqueIndex("portal_sessions_login_code").on(t.loginCodeHash),
    uniqueIndex("portal_sessions_cookie").on(t.cookieHash),
  ],
);
