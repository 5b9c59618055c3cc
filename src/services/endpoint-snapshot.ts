/**
 * The endpoint as the dispatcher sees it. The snapshot travels to the Durable Object with its
 * secrets still encrypted; `resolveEndpoint` decrypts them in memory right before signing.
 */
import { decryptJson } from "../lib/crypto";
import { deploymentDefaults } from "./deployment-defaults";
import type { endpoints } from "../db/schema";
import type { RetryPolicy } from "../delivery/retry-policy";
import type { SignatureProfile } from "../delivery/sign";
import type { EnvelopeKind } from "../delivery/envelope";

export type EndpointRow = typeof endpoints.$inferSelect;
export type EndpointSnapshot = EndpointRow;

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

export type EndpointAuth = { type: "basic"; username: string; password: string } | { type: "header"; name: string; value: string };

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

type ResolveEnv = Pick<Env, "ENCRYPTION_KEY" | "DEFAULT_SIGNATURE" | "DEFAULT_RETRY_POLICY">;

export async function resolveEndpoint(env: ResolveEnv, row: EndpointSnapshot, now: number): Promise<ResolvedEndpoint> {
  const encryptionKey = env.ENCRYPTION_KEY;
  const defaults = deploymentDefaults(env);
  const [secrets, headers, auth] = await Promise.all([
    decryptJson<StoredSecret[]>(encryptionKey, row.secretsEnc),
    row.headersEnc ? decryptJson<Record<string, string>>(encryptionKey, row.headersEnc) : Promise.resolve({}),
    row.authEnc ? decryptJson<EndpointAuth>(encryptionKey, row.authEnc) : Promise.resolve(null),
  ]);
  const live = liveSecrets(secrets, now);
  return {
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
  };
}
