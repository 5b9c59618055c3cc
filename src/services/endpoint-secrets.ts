/**
 * Endpoint secrets: rotation, its commit step, and reveal.
 *
 * Rotation: a new secret (fresh, or brought by the tenant) signs at once; the previous ones keep
 * signing `webhook-signature` until their grace period ends, so receivers roll over without
 * dropping a delivery. A single-valued vendor header (hmac-sha256-hex) can carry only one
 * signature: it keeps the secret receivers hold until the tenant commits the rotation (after
 * updating the receiver) or the grace period ends. At most MAX_OLD_SECRETS old secrets are kept.
 *
 * Every change is a compare-and-set on the endpoint's version, so two concurrent rotations
 * cannot both start from the same list and lose one another's secret.
 */
import { and, eq } from "drizzle-orm";
import { deploymentDefaults } from "../attempts/deployment-defaults";
import {
  type EndpointRow,
  endpointField,
  headerSecretIndex,
  liveSecrets,
  type StoredSecret,
} from "../attempts/endpoint-snapshot";
import { nextVersion } from "../attempts/endpoint-status";
import { endpoints } from "../db/schema";
import { generateSecret } from "../delivery/secret";
import type { SignatureProfile } from "../delivery/sign";
import { pushSnapshot } from "../dispatcher/client";
import { ApiError, notFound } from "../errors";
import { decryptJson, encryptJson } from "../lib/crypto";
import type { ServiceCtx } from "./context";
import { getEndpoint } from "./endpoints";
import { emitOperational } from "./operational";
import { assertOwnSecret } from "./own-secret";

export const DEFAULT_GRACE_S = 86_400;
export const MAX_GRACE_S = 604_800;
const MAX_OLD_SECRETS = 10;
/** Compare-and-set tries before a change answers 409 (each loser re-reads and tries again). */
const CAS_TRIES = 8;

const isLive = (s: StoredSecret, now: number) => s.expires_at === null || s.expires_at > now;

/**
 * The stored list after a rotation at `now`: the new secret first (pending until committed),
 * then the still-live old ones, their expiry capped at now + grace. The secret the vendor
 * header signs with now is kept (and marked committed) even when more than MAX_OLD_SECRETS
 * rotations pile up uncommitted, so a single-secret receiver never loses it early.
 */
export function rotated(stored: StoredSecret[], fresh: string, graceS: number, now: number): StoredSecret[] {
  const expiresAt = now + graceS * 1000;
  const held = headerSecretIndex(stored, now);
  const old = stored
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => isLive(s, now))
    .map(({ s, i }) => {
      const next: StoredSecret = {
        secret: s.secret,
        expires_at: s.expires_at === null ? expiresAt : Math.min(s.expires_at, expiresAt),
      };
      if (s.pending && i !== held) next.pending = true;
      return { s: next, i };
    })
    .filter(({ s }) => isLive(s, now));
  const kept = old.slice(0, MAX_OLD_SECRETS);
  const heldEntry = old.find(({ i }) => i === held);
  if (heldEntry && !kept.includes(heldEntry)) kept.splice(MAX_OLD_SECRETS - 1, 1, heldEntry);
  return [{ secret: fresh, expires_at: null, pending: true }, ...kept.map(({ s }) => s)];
}

/** Every secret committed: the vendor header moves to the newest. */
function committed(stored: StoredSecret[]): StoredSecret[] {
  return stored.map(({ secret, expires_at }) => ({ secret, expires_at }));
}

/** The scheme the endpoint signs with (its own profile or the deployment default). */
function profileOf(ctx: ServiceCtx, row: EndpointRow): SignatureProfile {
  return (row.signature as SignatureProfile | null) ?? deploymentDefaults(ctx.env).signature;
}

/**
 * Reads the stored secrets, applies `change`, writes them back only if nobody changed the
 * endpoint in between (same version); otherwise re-reads and tries again.
 */
async function changeSecrets(
  ctx: ServiceCtx,
  tenantId: string,
  endpointId: string,
  change: (stored: StoredSecret[], row: EndpointRow, now: number) => StoredSecret[] | null,
) {
  for (let i = 0; i < CAS_TRIES; i++) {
    const current = await getEndpoint(ctx, tenantId, endpointId);
    const now = Date.now();
    const stored = await decryptJson<StoredSecret[]>(
      ctx.env,
      current.secretsEnc,
      endpointField(endpointId, "secrets_enc"),
    );
    const next = change(stored, current, now);
    if (next === null) return { row: current, stored, now };
    const row = await ctx.db
      .update(endpoints)
      .set({
        secretsEnc: await encryptJson(ctx.env, next, endpointField(endpointId, "secrets_enc")),
        version: nextVersion(),
        updatedAt: now,
      })
      .where(
        and(eq(endpoints.id, endpointId), eq(endpoints.tenantId, tenantId), eq(endpoints.version, current.version)),
      )
      .returning()
      .get();
    if (!row) continue; // changed (or deleted) meanwhile: the next read tells which
    // In-flight ladders sign with the new set from their next attempt on.
    await pushSnapshot(ctx.env, row);
    return { row, stored: next, now };
  }
  throw new ApiError("conflict", "the endpoint kept changing while its secret was being changed; try again");
}

const expiryOfOld = (list: StoredSecret[]) => {
  const old = list.slice(1).map((s) => s.expires_at ?? 0);
  return old.length ? Math.max(...old) : null;
};

interface RotateInput {
  grace_period_s?: number;
  /** Bring your own new secret (checked against the endpoint's scheme). */
  secret?: string;
}

export async function rotateSecret(ctx: ServiceCtx, tenantId: string, endpointId: string, input: RotateInput = {}) {
  const graceS = input.grace_period_s ?? DEFAULT_GRACE_S;
  const secret = input.secret ?? generateSecret();
  const { row, stored, now } = await changeSecrets(ctx, tenantId, endpointId, (list, current, at) => {
    if (input.secret !== undefined) assertOwnSecret(input.secret, profileOf(ctx, current));
    if (list.some((s) => s.secret === secret && isLive(s, at))) {
      throw new ApiError("bad_request", "this secret is already one of the endpoint's live secrets", [
        { path: "secret", message: "choose a new secret" },
      ]);
    }
    return rotated(list, secret, graceS, at);
  });
  const previousExpireAt = expiryOfOld(stored);
  await emitOperational(ctx, [
    {
      type: "endpoint.secret_rotated",
      tenantId,
      data: {
        endpoint_id: endpointId,
        previous_secrets_expire_at: previousExpireAt === null ? null : new Date(previousExpireAt).toISOString(),
      },
    },
  ]);
  return {
    row,
    secret,
    liveSecrets: liveSecrets(stored, now).length,
    previousExpireAt,
    /** True while a single-valued vendor header still signs with an older secret. */
    pendingCommit: pendingCommit(row, stored, now, ctx),
  };
}

function pendingCommit(row: EndpointRow, stored: StoredSecret[], now: number, ctx: ServiceCtx) {
  return profileOf(ctx, row).scheme === "hmac-sha256-hex" && headerSecretIndex(stored, now) > 0;
}

/**
 * The tenant has updated its receiver: the vendor header signs with the newest secret from now
 * on. The old secrets keep signing `webhook-signature` until their grace period ends. Committing
 * with nothing pending changes nothing (a retried commit is harmless).
 */
export async function commitRotation(ctx: ServiceCtx, tenantId: string, endpointId: string) {
  const { row, stored, now } = await changeSecrets(ctx, tenantId, endpointId, (list) =>
    list.some((s) => s.pending) ? committed(list) : null,
  );
  return { row, liveSecrets: liveSecrets(stored, now).length, previousExpireAt: expiryOfOld(stored) };
}

/** State of the secrets without revealing any: for pages that explain where a rotation stands. */
export async function secretStatus(ctx: ServiceCtx, row: EndpointRow) {
  const now = Date.now();
  const stored = await decryptJson<StoredSecret[]>(ctx.env, row.secretsEnc, endpointField(row.id, "secrets_enc"));
  const live = stored.filter((s) => isLive(s, now));
  return {
    scheme: profileOf(ctx, row).scheme,
    liveSecrets: live.length,
    previousExpireAt: expiryOfOld(live),
    pendingCommit: pendingCommit(row, stored, now, ctx),
  };
}

/**
 * The current signing secret, as vendors' dashboards show it. A deployment forbids it with
 * SECRET_REVEAL=false (403). The caller checks the scope (admin; a portal session not read-only).
 */
export async function revealSecret(ctx: ServiceCtx, tenantId: string, endpointId: string) {
  if (!ctx.config.secretReveal)
    throw new ApiError("forbidden", "this deployment does not reveal signing secrets (SECRET_REVEAL=false)");
  const row = await getEndpoint(ctx, tenantId, endpointId);
  const stored = await decryptJson<StoredSecret[]>(ctx.env, row.secretsEnc, endpointField(row.id, "secrets_enc"));
  const current = stored[0];
  if (!current) throw notFound("secret");
  return { secret: current.secret };
}
