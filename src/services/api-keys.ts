/** API keys: shown once at creation, stored as SHA-256 hashes, revocable (at once in this isolate, within CONFIG_CACHE_TTL_S in others). */
import { and, count, desc, eq, isNull, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { newId, randomToken } from "../db/ids";
import { apiKeys } from "../db/schema";
import type { Scope } from "../domain/api-keys";
import { ApiError, notFound } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { iso, isoOrNull } from "../lib/time";
import { API_KEY_CACHE_PREFIX, invalidate } from "./config-cache";

type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * Live keys a tenant-bound admin key may have minted for its tenant: ample for its services, CI
 * and dashboards, and a bound on rows in D1 and entries in every isolate's config cache (which
 * holds 10,000). The root key and unbound admin keys are not capped: they are the operator.
 */
export const MAX_KEYS_PER_TENANT = 50;

export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    tenant_id: row.tenantId,
    hint: row.hint,
    created_at: iso(row.createdAt),
    revoked_at: isoOrNull(row.revokedAt),
  };
}

export async function createApiKey(db: Db, input: { name: string; scopes: Scope[]; tenant_id?: string | null }) {
  const now = Date.now();
  const key = `ek_${randomToken(32)}`;
  const row: ApiKeyRow = {
    id: newId("key", now),
    name: input.name,
    keyHash: await sha256Hex(key),
    hint: key.slice(0, 9),
    scopes: [...new Set(input.scopes)],
    tenantId: input.tenant_id ?? null,
    createdAt: now,
    revokedAt: null,
  };
  await db.insert(apiKeys).values(row);
  return { row, key };
}

/** 409 once the tenant has MAX_KEYS_PER_TENANT live keys (for a tenant-bound admin's mints; revoking one makes room). */
export async function assertTenantKeyQuota(db: Db, tenantId: string) {
  const row = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), isNull(apiKeys.revokedAt)))
    .get();
  if ((row?.n ?? 0) >= MAX_KEYS_PER_TENANT) {
    throw new ApiError(
      "conflict",
      `the tenant already has ${MAX_KEYS_PER_TENANT} live API keys, the most a key bound to it may mint; revoke one first`,
    );
  }
}

export async function listApiKeys(db: Db, opts: { limit: number; before?: string; tenantId: string | null }) {
  const conds = [isNull(apiKeys.revokedAt)];
  if (opts.before) conds.push(lt(apiKeys.id, opts.before));
  if (opts.tenantId) conds.push(eq(apiKeys.tenantId, opts.tenantId));
  return db
    .select()
    .from(apiKeys)
    .where(and(...conds))
    .orderBy(desc(apiKeys.id))
    .limit(opts.limit + 1)
    .all();
}

export async function revokeApiKey(db: Db, keyId: string, tenantId: string | null) {
  const conds = [eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)];
  if (tenantId) conds.push(eq(apiKeys.tenantId, tenantId));
  const row = await db
    .update(apiKeys)
    .set({ revokedAt: Date.now() })
    .where(and(...conds))
    .returning()
    .get();
  if (!row) throw notFound("api key");
  invalidate(API_KEY_CACHE_PREFIX);
  return row;
}
