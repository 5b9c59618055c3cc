/**
 * Who is calling. The root key (ROOT_API_KEY) can do everything; API keys carry scopes and
 * optionally one tenant. The token is hashed once (SHA-256); the root key is compared by digest in
 * constant time, and an API key is looked up by its hash through the per-isolate config cache
 * (services/config-cache.ts): a revocation through this isolate applies at once, one through
 * another isolate within CONFIG_CACHE_TTL_S (docs/choices.md). Unknown tokens are
 * never cached, so a new key works at once.
 */
import { and, eq, isNull } from "drizzle-orm";
import { readConfig } from "../config";
import { getDb } from "../db/client";
import { apiKeys } from "../db/schema";
import type { Scope } from "../domain/api-keys";
import { digestEqual, sha256, toHex } from "../lib/crypto";
import { API_KEY_CACHE_PREFIX, cached } from "../services/config-cache";
import { findPortalSession, PORTAL_TOKEN_PREFIX } from "../services/portal-sessions";
import { rootKeyUsable } from "./root-key";

export type { Scope };

export type Principal =
  | { kind: "root" }
  | { kind: "api_key"; keyId: string; scopes: Scope[]; tenantId: string | null }
  /** A portal session: one tenant; manages its endpoints (unless read-only), never ingests or mints keys. */
  | { kind: "portal"; sessionId: string; tenantId: string; readOnly: boolean; scopes: Scope[] };

/** The root key's digest, computed once per isolate (and again only if the secret changes). */
let rootDigest: { key: string; digest: Promise<ArrayBuffer> } | null = null;
function rootKeyDigest(rootKey: string): Promise<ArrayBuffer> {
  if (rootDigest?.key !== rootKey) rootDigest = { key: rootKey, digest: sha256(rootKey) };
  return rootDigest.digest;
}

type KeyGrant = { id: string; keyHash: string; scopes: Scope[]; tenantId: string | null };

export async function resolvePrincipal(
  env: Env,
  token: string,
  cacheTtlMs = readConfig(env).configCacheTtlMs,
): Promise<Principal | null> {
  const digest = await sha256(token);
  if (env.ROOT_API_KEY && rootKeyUsable(env.ROOT_API_KEY) && digestEqual(digest, await rootKeyDigest(env.ROOT_API_KEY)))
    return { kind: "root" };
  if (token.startsWith(PORTAL_TOKEN_PREFIX)) {
    const session = await findPortalSession(getDb(env), token);
    if (!session) return null;
    return {
      kind: "portal",
      sessionId: session.id,
      tenantId: session.tenantId,
      readOnly: session.readOnly,
      scopes: session.readOnly ? ["read"] : ["read", "admin"],
    };
  }
  if (!token.startsWith("ek_")) return null;
  const hash = toHex(digest);
  const row = await cached<KeyGrant | undefined>(
    `${API_KEY_CACHE_PREFIX}${hash}`,
    cacheTtlMs,
    () =>
      getDb(env)
        .select({ id: apiKeys.id, keyHash: apiKeys.keyHash, scopes: apiKeys.scopes, tenantId: apiKeys.tenantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
        .get() as Promise<KeyGrant | undefined>,
  );
  // The lookup is by hash already; the constant-time check keeps the final decision independent
  // of how much of the hash matched.
  if (!row || !digestEqual(new TextEncoder().encode(row.keyHash), new TextEncoder().encode(hash))) return null;
  return { kind: "api_key", keyId: row.id, scopes: row.scopes, tenantId: row.tenantId };
}
