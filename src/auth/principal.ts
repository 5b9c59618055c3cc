/**
 * Who is calling. The root key (ROOT_API_KEY) can do everything; API keys carry scopes and
 * optionally one tenant. Keys are looked up by their SHA-256 hash, then compared in constant time.
 */
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client";
import type { Scope } from "../domain/api-keys";
import { apiKeys } from "../db/schema";
import { constantTimeEqual, sha256Hex } from "../lib/crypto";
import { rootKeyUsable } from "./root-key";
import { findPortalSession, PORTAL_TOKEN_PREFIX } from "../services/portal-sessions";

export type { Scope };

export type Principal =
  | { kind: "root" }
  | { kind: "api_key"; keyId: string; scopes: Scope[]; tenantId: string | null }
  /** A portal session: one tenant; manages its endpoints (unless read-only), never ingests or mints keys. */
  | { kind: "portal"; sessionId: string; tenantId: string; readOnly: boolean; scopes: Scope[] };

export async function resolvePrincipal(env: Env, token: string): Promise<Principal | null> {
  if (env.ROOT_API_KEY && rootKeyUsable(env.ROOT_API_KEY) && (await constantTimeEqual(token, env.ROOT_API_KEY))) return { kind: "root" };
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
  const hash = await sha256Hex(token);
  const row = await getDb(env)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .get();
  // The index lookup is by hash already; the constant-time check keeps the final decision
  // independent of how much of the hash matched.
  if (!row || !(await constantTimeEqual(row.keyHash, hash))) return null;
  return { kind: "api_key", keyId: row.id, scopes: row.scopes as Scope[], tenantId: row.tenantId };
}
