/**
 * Secret rotation: a new `whsec_` secret signs at once; the previous ones keep signing until their
 * grace period ends (every live secret goes into `webhook-signature`), so receivers can roll over
 * without dropping a delivery. At most MAX_OLD_SECRETS old secrets are kept.
 */
import { and, eq } from "drizzle-orm";
import { endpoints } from "../db/schema";
import { generateSecret } from "../delivery/secret";
import { notFound } from "../errors";
import { decryptJson, encryptJson } from "../lib/crypto";
import type { ServiceCtx } from "./context";
import { endpointField, liveSecrets, type StoredSecret } from "./endpoint-snapshot";
import { getEndpoint, pushSnapshot } from "./endpoints";

export const DEFAULT_GRACE_S = 86_400;
export const MAX_GRACE_S = 604_800;
export const MAX_OLD_SECRETS = 10;

/** The stored list after a rotation at `now`: the new secret first, then the still-live old ones. */
export function rotated(stored: StoredSecret[], fresh: string, graceS: number, now: number): StoredSecret[] {
  const expiresAt = now + graceS * 1000;
  const old = stored
    .filter((s) => s.expires_at === null || s.expires_at > now)
    .map((s) => ({ secret: s.secret, expires_at: s.expires_at === null ? expiresAt : Math.min(s.expires_at, expiresAt) }))
    .filter((s) => s.expires_at > now)
    .slice(0, MAX_OLD_SECRETS);
  return [{ secret: fresh, expires_at: null }, ...old];
}

export async function rotateSecret(ctx: ServiceCtx, tenantId: string, endpointId: string, graceS = DEFAULT_GRACE_S) {
  const current = await getEndpoint(ctx, tenantId, endpointId);
  const now = Date.now();
  const stored = await decryptJson<StoredSecret[]>(ctx.env, current.secretsEnc, endpointField(endpointId, "secrets_enc"));
  const secret = generateSecret();
  const next = rotated(stored, secret, graceS, now);
  const row = await ctx.db
    .update(endpoints)
    .set({ secretsEnc: await encryptJson(ctx.env, next, endpointField(endpointId, "secrets_enc")), version: current.version + 1, updatedAt: now })
    .where(and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId)))
    .returning()
    .get();
  if (!row) throw notFound("endpoint");
  // In-flight ladders sign with the new set from their next attempt on.
  await pushSnapshot(ctx.env, row);
  const previous = next.slice(1);
  return {
    row,
    secret,
    liveSecrets: liveSecrets(next, now).length,
    previousExpireAt: previous.length ? Math.max(...previous.map((s) => s.expires_at ?? now)) : null,
  };
}
