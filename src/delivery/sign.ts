// Request signing. Two wire profiles:
// - "standard": Standard Webhooks (`webhook-signature: v1,<base64>`), key = bytes after whsec_.
// - "hmac-sha256-hex": the vendor style (hex HMAC of the raw body in a named header), keyed with
//   the whole secret string, because that is what receivers' `createHmac('sha256', SECRET)` do.
// The standard header is always sent, so a receiver can migrate between profiles freely.

import { bytesToBase64, standardKeyBytes } from "./secret";

export type SignatureProfile = { scheme: "standard" } | { scheme: "hmac-sha256-hex"; header: string; prefix: string };

type KeyScheme = "standard" | "hex";

// importKey is not free, and one endpoint signs every attempt with the same few secrets, so the
// imported keys are kept per isolate. Bounded, oldest-first eviction (Map keeps insertion
// order): a dispatcher serving many endpoints must not grow without limit.
const KEY_CACHE_MAX = 1000;
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string, scheme: KeyScheme): Promise<CryptoKey> {
  const cacheKey = scheme + "\u0000" + secret;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const raw = scheme === "standard" ? standardKeyBytes(secret) : new TextEncoder().encode(secret);
  const pending = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  // Cache the promise, not the key, so concurrent first signs share one import; a failed import
  // is dropped so it is retried rather than cached forever.
  pending.catch(() => keyCache.delete(cacheKey));
  if (keyCache.size >= KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(cacheKey, pending);
  return pending;
}

/** Exposed for tests: how many imported keys are held. */
export function keyCacheSize(): number {
  return keyCache.size;
}

const encoder = new TextEncoder();

async function hmac(secret: string, scheme: KeyScheme, message: string): Promise<Uint8Array> {
  const key = await hmacKey(secret, scheme);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

export async function signStandard(secret: string, msgId: string, timestampS: number, body: string): Promise<string> {
  const mac = await hmac(secret, "standard", `${msgId}.${timestampS}.${body}`);
  return "v1," + bytesToBase64(mac);
}

export async function signHex(secret: string, body: string): Promise<string> {
  const mac = await hmac(secret, "hex", body);
  let hex = "";
  for (const b of mac) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The signature headers of one attempt. `secrets` is newest first: every live secret signs the
 * standard header (so rotation has a grace period), while the single-valued vendor header can
 * only carry one signature: `single`, the secret receivers hold until the tenant commits a
 * rotation (default: the newest).
 */
export async function signatureHeaders(
  profile: SignatureProfile,
  secrets: string[],
  msgId: string,
  timestampS: number,
  body: string,
  single: string | undefined = secrets[0],
): Promise<Record<string, string>> {
  // An unsigned request would be accepted by no correct receiver; failing loudly shows the bug.
  if (secrets[0] === undefined || single === undefined) throw new Error("cannot sign: endpoint has no secret");
  const signatures = await Promise.all(secrets.map((s) => signStandard(s, msgId, timestampS, body)));
  const headers: Record<string, string> = {};
  if (profile.scheme === "hmac-sha256-hex") {
    headers[profile.header.toLowerCase()] = profile.prefix + (await signHex(single, body));
  }
  // Set last so a profile header that collides with it can never replace the standard signature.
  headers["webhook-signature"] = signatures.join(" ");
  return headers;
}
