/**
 * D1 holds configuration only: tenants, API keys, endpoints, event types, portal sessions (and
 * which tenant owns a recover task, so GET /v1/tasks/{id} finds its TenantLog). Each tenant's
 * traffic lives in its TenantLog Durable Object (src/tenant-log): nothing here is written per webhook.
 * Times are integer milliseconds since the epoch; JSON columns hold text.
 * Encrypted columns (`*_enc`) hold AES-GCM ciphertext from src/lib/crypto.ts, never plain text.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { AUTH_TYPES, DISABLED_REASONS, ENDPOINT_STATUSES, ENVELOPES } from "../domain/endpoints";
import { TENANT_ENVIRONMENTS } from "../domain/tenants";

const json = <T>(name: string) => text(name, { mode: "json" }).$type<T>();

export type { TenantEnvironment } from "../domain/tenants";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  metadata: json<Record<string, string>>("metadata").notNull(),
  /** `production` or `sandbox` (http:// destinations allowed: the Beltic-style rule). */
  environment: text("environment", { enum: TENANT_ENVIRONMENTS }).notNull().default("production"),
  /** Days its events, deliveries and attempts are kept; null = the deployment's RETENTION_DAYS. */
  retentionDays: integer("retention_days"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /**
   * The tenant's log segments still kept, oldest and newest (src/tenant-log/segments.ts): written
   * once per rollover (compare-and-set) and once per segment retention drops, never per webhook.
   */
  logFirstSegment: integer("log_first_segment").notNull().default(0),
  logCurrentSegment: integer("log_current_segment").notNull().default(0),
  /**
   * The hash shards a segment of the tenant's log opens with (src/tenant-log/segments.ts): set by an
   * operator for a hot tenant, taking effect at the next rollover (or at create).
   */
  logShards: integer("log_shards").notNull().default(1),
  /** JSON [[segment, k], ...]: each change of k as it took effect, so every segment's k is known. */
  logShardHistory: text("log_shard_history").notNull().default("[]"),
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
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_tenant").on(t.tenantId)],
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
    authType: text("auth_type", { enum: AUTH_TYPES }),
    signature: json<unknown>("signature"),
    envelope: text("envelope", { enum: ENVELOPES }).notNull(),
    retryPolicy: json<unknown>("retry_policy"),
    rateLimitPerS: integer("rate_limit_per_s"),
    maxInFlight: integer("max_in_flight"),
    timeoutMs: integer("timeout_ms").notNull(),
    metadata: json<Record<string, string>>("metadata").notNull(),
    status: text("status", { enum: ENDPOINT_STATUSES }).notNull(),
    disabledReason: text("disabled_reason", { enum: DISABLED_REASONS }),
    /** When it was last disabled; kept by an enable, so it and `enabledAt` bound what it missed. */
    disabledAt: integer("disabled_at"),
    /** When a disabled endpoint was last enabled again (null: never). */
    enabledAt: integer("enabled_at"),
    /**
     * The tenant's environment, copied onto its endpoints (and kept in step by the tenant verbs)
     * so the dispatcher applies the sandbox's http rule before every attempt without a D1 read.
     */
    tenantEnvironment: text("tenant_environment", { enum: TENANT_ENVIRONMENTS }).notNull().default("production"),
    /** False: attempts carry no `traceparent` (the producer's trace ids stay in house). */
    propagateTraceparent: integer("propagate_traceparent", { mode: "boolean" }).notNull().default(true),
    /** Bumped on every change so the dispatcher can tell a stale snapshot from a fresh one. */
    version: integer("version").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("endpoints_tenant").on(t.tenantId, t.id)],
);

/** The cursor of a paged background job (the reseal pass), kept between cron runs. */
export const jobCursors = sqliteTable("job_cursors", {
  name: text("name").primaryKey(),
  cursor: text("cursor").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Which tenant a recover task belongs to: the task itself lives in that tenant's TenantLog. */
export const taskOwners = sqliteTable(
  "task_owners",
  { id: text("id").primaryKey(), tenantId: text("tenant_id").notNull() },
  (t) => [index("task_owners_tenant").on(t.tenantId)],
);

/**
 * When a tenant id was last deleted. Other isolates may serve that tenant's API keys from their
 * config cache for CONFIG_CACHE_TTL_S after it; the id is not created again before then, so no
 * key of the old incarnation ever opens the new one. Rows older than the longest TTL are purged.
 */
export const tenantTombstones = sqliteTable(
  "tenant_tombstones",
  { tenantId: text("tenant_id").primaryKey(), deletedAt: integer("deleted_at").notNull() },
  (t) => [index("tenant_tombstones_deleted_at").on(t.deletedAt)],
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
