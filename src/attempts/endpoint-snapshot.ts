/**
 * The endpoint as the dispatcher sees it. The snapshot travels to the Durable Object with its
 * secrets still encrypted; `resolveEndpoint` decrypts them in memory right before signing.
 */

import type { endpoints } from "../db/schema";
import type { EnvelopeKind } from "../delivery/envelope";
import type { RetryPolicy } from "../delivery/retry-policy";
import type { SignatureProfile } from "../delivery/sign";
import { decryptJson, fieldContext } from "../lib/crypto";
import { deploymentDefaults } from "./deployment-defaults";

export type EndpointRow = typeof endpoints.$inferSelect;
export type EndpointSnapshot = EndpointRow;

/**
 * The row as it travels to the dispatcher: without its filter, which only fan-out reads. The
 * filter is the one free-form JSON of a row; one stored over-deep (before the portal's form
 * checked depth) overflowed the RPC argument's structured clone, after the change had committed.
 */
export function snapshotOf(row: EndpointRow): EndpointSnapshot {
  return { ...row, filter: null };
}

export interface StoredSecret {
  secret: string;
  /** Epoch ms after which an old secret stops signing; null for the current one. */
  expires_at: number | null;
  /**
   * Set on a rotated-in secret until the tenant commits the rotation: single-valued vendor
   * headers keep signing with the older secret receivers still hold (absent = committed).
   */
  pending?: true;
}

export type EndpointAuth =
  | { type: "basic"; username: string; password: string }
  | { type: "header"; name: string; value: string };

export interface ResolvedEndpoint {
  id: string;
  tenantId: string;
  url: string;
  secrets: string[];
  /** The one secret a single-valued (hmac-sha256-hex) header is signed with. */
  headerSecret: string;
  /** The tenant is a sandbox: http:// destinations are allowed (private ones still follow config). */
  sandbox: boolean;
  headers: Record<string, string>;
  auth: EndpointAuth | null;
  signature: SignatureProfile;
  envelope: EnvelopeKind;
  retryPolicy: RetryPolicy;
  timeoutMs: number;
  /** False: no `traceparent` on its attempts (absent, as for a URL test: forwarded when the event has one). */
  propagateTraceparent?: boolean;
  /** Set when the stored credentials could not be opened: the attempt is recorded as failed, not sent. */
  unusable?: string;
}

const isLive = (s: StoredSecret, now: number) => s.expires_at === null || s.expires_at > now;

/** Secrets that still sign at `now`, newest first. */
export function liveSecrets(stored: StoredSecret[], now: number): string[] {
  return stored.filter((s) => isLive(s, now)).map((s) => s.secret);
}

/**
 * Where in `stored` the secret of the single-valued header is: the newest live committed one
 * (what receivers were last told to hold), else the newest live one (every older secret's
 * grace period is over, so the rotation counts as committed).
 */
export function headerSecretIndex(stored: StoredSecret[], now: number): number {
  const committed = stored.findIndex((s) => isLive(s, now) && !s.pending);
  return committed >= 0 ? committed : stored.findIndex((s) => isLive(s, now));
}

/** The encrypted columns of an endpoint row, and the context (associated data) each is sealed under. */
export type SealedColumn = "secrets_enc" | "headers_enc" | "auth_enc";
export const endpointField = (endpointId: string, column: SealedColumn) =>
  fieldContext("endpoints", column, endpointId);

type ResolveEnv = Pick<
  Env,
  "ENCRYPTION_KEY" | "ENCRYPTION_KEYS_OLD" | "ENCRYPTION_REFUSE_V1" | "DEFAULT_SIGNATURE" | "DEFAULT_RETRY_POLICY"
>;

export async function resolveEndpoint(env: ResolveEnv, row: EndpointSnapshot, now: number): Promise<ResolvedEndpoint> {
  const defaults = deploymentDefaults(env);
  // A ciphertext no key opens must not throw out of an alarm or a route: the attempt that needs
  // it becomes a recorded failure (sendAttempt reads `unusable`).
  const opened = await Promise.all([
    decryptJson<StoredSecret[]>(env, row.secretsEnc, endpointField(row.id, "secrets_enc")),
    row.headersEnc
      ? decryptJson<Record<string, string>>(env, row.headersEnc, endpointField(row.id, "headers_enc"))
      : Promise.resolve({}),
    row.authEnc
      ? decryptJson<EndpointAuth>(env, row.authEnc, endpointField(row.id, "auth_enc"))
      : Promise.resolve(null),
  ]).catch((err: unknown) => String((err as Error)?.message ?? err));
  const unusable =
    typeof opened === "string" ? `stored credentials could not be decrypted (${opened.slice(0, 200)})` : undefined;
  const [secrets, headers, auth] = typeof opened === "string" ? [[], {}, null] : opened;
  const live = liveSecrets(secrets, now);
  return {
    ...(unusable ? { unusable } : {}),
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    secrets: live,
    headerSecret: secrets[headerSecretIndex(secrets, now)]?.secret ?? live[0] ?? "",
    sandbox: row.tenantEnvironment === "sandbox",
    headers,
    auth,
    signature: (row.signature as SignatureProfile | null) ?? defaults.signature,
    envelope: row.envelope as EnvelopeKind,
    retryPolicy: (row.retryPolicy as RetryPolicy | null) ?? defaults.retryPolicy,
    timeoutMs: row.timeoutMs,
    // A snapshot stored before the column existed has no field: it forwarded, so it still does.
    propagateTraceparent: row.propagateTraceparent !== false,
  };
}
