/** Tenant verbs: one customer of the producer, owner of endpoints and events. */
import { and, desc, eq, lt } from "drizzle-orm";
import { MAX_CONFIG_CACHE_TTL_S } from "../config";
import type { Db } from "../db/client";
import { newId } from "../db/ids";
import { apiKeys, endpoints, portalSessions, taskOwners, tenants, tenantTombstones } from "../db/schema";
import { forgetEndpoints } from "../dispatcher/client";
import type { TenantEnvironment } from "../domain/tenants";
import { ApiError, notFound } from "../errors";
import { iso } from "../lib/time";
import { configureAll, destroyAll } from "../tenant-log/log-segments";
import type { TenantRef } from "../tenant-log/types";
import { API_KEY_CACHE_PREFIX, cached, invalidate } from "./config-cache";
import type { ServiceCtx } from "./context";

type TenantRow = typeof tenants.$inferSelect;

/** retention_days as it applies: the tenant's own, never above the deployment's RETENTION_DAYS. */
export const effectiveRetention = (row: Pick<TenantRow, "retentionDays">, maxDays: number) =>
  Math.min(row.retentionDays ?? maxDays, maxDays);

export function tenantView(row: TenantRow, maxRetentionDays: number) {
  return {
    id: row.id,
    name: row.name,
    metadata: row.metadata,
    environment: row.environment,
    retention_days: effectiveRetention(row, maxRetentionDays),
    log_shards: row.logShards,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export async function getTenant(db: Db, tenantId: string): Promise<TenantRow> {
  const row = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
  if (!row) throw notFound("tenant");
  return row;
}

/** The tenant row through the per-isolate config cache (hot path: ingest, fan-out, test sends). */
export async function cachedTenant(ctx: ServiceCtx, tenantId: string): Promise<TenantRow> {
  const row = await cached(`tenant:${tenantId}`, ctx.config.configCacheTtlMs, () =>
    ctx.db.select().from(tenants).where(eq(tenants.id, tenantId)).get(),
  );
  if (!row) throw notFound("tenant");
  return row;
}

/** What the TenantLog needs to know of its tenant on a write. Throws not_found for an unknown tenant. */
export async function tenantRef(ctx: ServiceCtx, tenantId: string): Promise<TenantRef> {
  const row = await cachedTenant(ctx, tenantId);
  return { id: row.id, incarnation: row.createdAt, retentionDays: effectiveRetention(row, ctx.config.retentionDays) };
}

function checkRetention(ctx: ServiceCtx, days: number | undefined) {
  if (days !== undefined && days > ctx.config.retentionDays) {
    throw new ApiError("bad_request", `retention_days is at most ${ctx.config.retentionDays} on this deployment`, [
      { path: "retention_days", message: `at most ${ctx.config.retentionDays}` },
    ]);
  }
}

export async function createTenant(
  ctx: ServiceCtx,
  input: {
    id?: string;
    name: string;
    metadata?: Record<string, string>;
    retention_days?: number;
    environment?: TenantEnvironment;
    log_shards?: number;
  },
) {
  checkRetention(ctx, input.retention_days);
  const now = Date.now();
  if (input.id !== undefined) await assertIdReusable(ctx, input.id, now);
  const row: TenantRow = {
    id: input.id ?? newId("tnt", now),
    name: input.name,
    metadata: input.metadata ?? {},
    environment: input.environment ?? "production",
    retentionDays: input.retention_days ?? null,
    createdAt: now,
    updatedAt: now,
    logFirstSegment: 0,
    logCurrentSegment: 0,
    // k set at create applies from segment 0 (its log has no segment yet); later changes at a rollover.
    logShards: input.log_shards ?? 1,
    logShardHistory:
      input.log_shards !== undefined && input.log_shards !== 1 ? JSON.stringify([[0, input.log_shards]]) : "[]",
  };
  const inserted = await ctx.db.insert(tenants).values(row).onConflictDoNothing().returning().get();
  if (!inserted) throw new ApiError("conflict", `tenant '${row.id}' already exists`);
  invalidate(`tenant:${row.id}`);
  return inserted;
}

/** The tenant's environment (production or sandbox), for the destination rules of its endpoints. */
export async function tenantEnvironment(db: Db, tenantId: string): Promise<TenantEnvironment> {
  return (await getTenant(db, tenantId)).environment;
}

/** The reserved tenant that receives Edgehooks' own operational events; made on first use. */
export async function ensureTenant(db: Db, id: string, name: string) {
  const now = Date.now();
  await db
    .insert(tenants)
    .values({ id, name, metadata: {}, environment: "production", retentionDays: null, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
}

export async function listTenants(db: Db, opts: { limit: number; before?: string; onlyId?: string | null }) {
  const conds = [];
  if (opts.before) conds.push(lt(tenants.id, opts.before));
  if (opts.onlyId) conds.push(eq(tenants.id, opts.onlyId));
  return db
    .select()
    .from(tenants)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(tenants.id))
    .limit(opts.limit + 1)
    .all();
}

/**
 * `log_shards` changes only the k the log's next segment opens with (written into the shard
 * history at the rollover, src/tenant-log/segments.ts rollOver): the segments that exist keep theirs.
 */
export async function updateTenant(
  ctx: ServiceCtx,
  tenantId: string,
  patch: { name?: string; metadata?: Record<string, string>; retention_days?: number; log_shards?: number },
) {
  checkRetention(ctx, patch.retention_days);
  const { retention_days, log_shards, ...rest } = patch;
  const row = await ctx.db
    .update(tenants)
    .set({
      ...rest,
      ...(retention_days !== undefined ? { retentionDays: retention_days } : {}),
      ...(log_shards !== undefined ? { logShards: log_shards } : {}),
      updatedAt: Date.now(),
    })
    .where(eq(tenants.id, tenantId))
    .returning()
    .get();
  if (!row) throw notFound("tenant");
  invalidate(`tenant:${tenantId}`);
  // The log purges by the new retention from its next alarm run.
  if (retention_days !== undefined) {
    await configureAll(ctx.env, {
      id: row.id,
      incarnation: row.createdAt,
      retentionDays: effectiveRetention(row, ctx.config.retentionDays),
    });
  }
  return row;
}

/**
 * Deletes the tenant and everything it owns: its endpoints' dispatchers cancel and clear what
 * they hold, its TenantLog drops its storage, then D1 drops the tenant, its endpoints, the API
 * keys bound to it, its portal sessions and its task owners in one batch. The log goes first so
 * a failure leaves the tenant in place to delete again, never a log without a tenant.
 */
export async function deleteTenant(ctx: ServiceCtx, tenantId: string) {
  const { db } = ctx;
  const tenant = await getTenant(db, tenantId);
  const owned = await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.tenantId, tenantId)).all();
  await forgetEndpoints(
    ctx.env,
    owned.map((e) => e.id),
  );
  await destroyAll(ctx.env, tenantId, tenant.createdAt);
  await deleteTenantRows(db, tenantId);
  invalidate(`tenant:${tenantId}`);
  invalidate(`endpoints:${tenantId}`);
  invalidate(API_KEY_CACHE_PREFIX);
}

/**
 * A tenant id deleted less than CONFIG_CACHE_TTL_S ago is not created again yet (409 with
 * Retry-After): another isolate may still serve a key of the old incarnation from its cache, and
 * that key would open the new tenant. After the TTL every cache has read D1 again, where the old
 * keys are gone.
 */
async function assertIdReusable(ctx: ServiceCtx, tenantId: string, now: number) {
  const tomb = await ctx.db.select().from(tenantTombstones).where(eq(tenantTombstones.tenantId, tenantId)).get();
  const reusableAt = tomb ? tomb.deletedAt + ctx.config.configCacheTtlMs : 0;
  if (reusableAt > now) {
    const wait = Math.ceil((reusableAt - now) / 1000);
    throw new ApiError(
      "conflict",
      `tenant '${tenantId}' was deleted moments ago; its id can be used again in ${wait} s`,
      undefined,
      {
        "retry-after": String(wait),
      },
    );
  }
}

/**
 * The D1 half of deleteTenant, one batch: what every isolate sees (each one's cache drops it
 * within the TTL). It leaves a tombstone with the time, and purges tombstones older than the
 * longest TTL there is (no cache can hold their keys any more).
 */
export async function deleteTenantRows(db: Db, tenantId: string, now = Date.now()) {
  await db.batch([
    db
      .insert(tenantTombstones)
      .values({ tenantId, deletedAt: now })
      .onConflictDoUpdate({ target: tenantTombstones.tenantId, set: { deletedAt: now } }),
    db.delete(tenantTombstones).where(lt(tenantTombstones.deletedAt, now - MAX_CONFIG_CACHE_TTL_S * 1000)),
    db.delete(tenants).where(eq(tenants.id, tenantId)),
    db.delete(endpoints).where(eq(endpoints.tenantId, tenantId)),
    db.delete(apiKeys).where(eq(apiKeys.tenantId, tenantId)),
    db.delete(portalSessions).where(eq(portalSessions.tenantId, tenantId)),
    db.delete(taskOwners).where(eq(taskOwners.tenantId, tenantId)),
  ]);
}
