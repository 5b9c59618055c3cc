/**
 * Secrets at rest: AES-GCM with a random 12-byte IV.
 *
 * Stored form `v2.<kid>.<iv>.<ciphertext>` (base64). The associated data is the value's context,
 * `<table>.<column>:<row id>` (`fieldContext`), so a ciphertext copied to another row or another
 * column fails to decrypt instead of handing one endpoint's credentials to another.
 * `kid` (8 hex characters of the key's SHA-256) names the sealing key. Keys: ENCRYPTION_KEY seals
 * and opens; ENCRYPTION_KEYS_OLD (base64 keys, comma or space separated) only open, so a key can be
 * rotated: every write seals under the current key (lazy re-encryption) and the cron's reseal pass
 * (src/jobs/reseal.ts) re-encrypts the rest; then the old key can be removed (docs/security.md).
 * `v1.<kid>.<iv>.<ciphertext>` values, written before contexts existed, still open (no associated
 * data) and are rewritten as v2 by the reseal pass. Being bound to nothing, a v1 value copied into
 * any row or column would open there too; once the pass reports `v1_remaining: 0`, the operator
 * sets ENCRYPTION_REFUSE_V1=true and they open nowhere (the pass included).
 * API keys are high-entropy random tokens, so a SHA-256 hash is enough to store them.
 */
import { ApiError } from "../errors";

type KeySource = Pick<Env, "ENCRYPTION_KEY" | "ENCRYPTION_KEYS_OLD" | "ENCRYPTION_REFUSE_V1">;
type LoadedKey = { key: CryptoKey; kid: string };

const keyCache = new Map<string, Promise<LoadedKey>>();

function b64encode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function b64decode(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function loadKey(encryptionKey: string) {
  let cached = keyCache.get(encryptionKey);
  if (!cached) {
    cached = (async () => {
      const raw = b64decode(encryptionKey.trim());
      if (raw.length !== 32) throw new ApiError("internal", "encryption keys must be 32 bytes, base64");
      const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
      return { key, kid: hex(digest).slice(0, 8) };
    })();
    keyCache.set(encryptionKey, cached);
    cached.catch(() => keyCache.delete(encryptionKey));
  }
  return cached;
}

/** The key that seals (ENCRYPTION_KEY). */
export async function currentKey(keys: KeySource): Promise<LoadedKey> {
  if (!keys.ENCRYPTION_KEY) throw new ApiError("internal", "ENCRYPTION_KEY is not configured");
  return loadKey(keys.ENCRYPTION_KEY);
}

/** Every key that may open: the current one first, then ENCRYPTION_KEYS_OLD. */
async function openingKeys(keys: KeySource): Promise<LoadedKey[]> {
  const old = (keys.ENCRYPTION_KEYS_OLD ?? "").split(/[\s,]+/).filter(Boolean);
  return Promise.all([...(keys.ENCRYPTION_KEY ? [keys.ENCRYPTION_KEY] : []), ...old].map(loadKey));
}

/** The associated data that binds a value to where it is stored. */
export function fieldContext(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

export async function encryptText(keys: KeySource, plain: string, context: string): Promise<string> {
  const { key, kid } = await currentKey(keys);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const additionalData = new TextEncoder().encode(context);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, new TextEncoder().encode(plain)),
  );
  return `v2.${kid}.${b64encode(iv)}.${b64encode(sealed)}`;
}

export async function decryptText(keys: KeySource, stored: string, context: string): Promise<string> {
  const [version, kid, iv, sealed] = stored.split(".");
  if ((version !== "v1" && version !== "v2") || !kid || !iv || !sealed)
    throw new Error("unrecognised ciphertext format");
  if (version === "v1" && refusesV1(keys))
    throw new Error("v1 ciphertexts (no associated data) are refused (ENCRYPTION_REFUSE_V1=true)");
  const key = (await openingKeys(keys)).find((k) => k.kid === kid);
  if (!key) throw new Error(`no configured key has id ${kid} (is it missing from ENCRYPTION_KEYS_OLD?)`);
  // v1 values were sealed without associated data.
  const params = {
    name: "AES-GCM",
    iv: b64decode(iv),
    ...(version === "v2" ? { additionalData: new TextEncoder().encode(context) } : {}),
  };
  const plain = await crypto.subtle.decrypt(params, key.key, b64decode(sealed));
  return new TextDecoder().decode(plain);
}

/** ENCRYPTION_REFUSE_V1: exactly `true` refuses; anything else keeps accepting v1 (a typo must not lock rows). */
const refusesV1 = (keys: KeySource) => keys.ENCRYPTION_REFUSE_V1?.trim().toLowerCase() === "true";

export async function encryptJson(keys: KeySource, value: unknown, context: string): Promise<string> {
  return encryptText(keys, JSON.stringify(value), context);
}

export async function decryptJson<T>(keys: KeySource, stored: string, context: string): Promise<T> {
  return JSON.parse(await decryptText(keys, stored, context)) as T;
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await sha256(text));
}

export const toHex = (digest: ArrayBuffer) => hex(new Uint8Array(digest));

/** Two digests (or any equal-length byte strings) compared in constant time; unequal lengths are unequal. */
export function digestEqual(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

/** Compares two strings without leaking where they differ (hashes first, so lengths match). */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(a)),
    crypto.subtle.digest("SHA-256", enc.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb);
}
