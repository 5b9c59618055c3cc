/**
 * Secrets at rest: AES-GCM under ENCRYPTION_KEY. Stored form `v1.<kid>.<iv>.<ciphertext>` (base64),
 * where kid identifies the key so a later key rotation can tell which key sealed a value.
 * API keys are high-entropy random tokens, so a SHA-256 hash is enough to store them.
 */
import { ApiError } from "../errors";

const keyCache = new Map<string, Promise<{ key: CryptoKey; kid: string }>>();

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

function loadKey(encryptionKey: string | undefined) {
  if (!encryptionKey) throw new ApiError("internal", "ENCRYPTION_KEY is not configured");
  let cached = keyCache.get(encryptionKey);
  if (!cached) {
    cached = (async () => {
      const raw = b64decode(encryptionKey.trim());
      if (raw.length !== 32) throw new ApiError("internal", "ENCRYPTION_KEY must be 32 bytes, base64");
      const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
      return { key, kid: hex(digest).slice(0, 8) };
    })();
    keyCache.set(encryptionKey, cached);
    cached.catch(() => keyCache.delete(encryptionKey));
  }
  return cached;
}

export async function encryptText(encryptionKey: string | undefined, plain: string): Promise<string> {
  const { key, kid } = await loadKey(encryptionKey);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plain)));
  return `v1.${kid}.${b64encode(iv)}.${b64encode(sealed)}`;
}

export async function decryptText(encryptionKey: string | undefined, stored: string): Promise<string> {
  const { key } = await loadKey(encryptionKey);
  const [version, , iv, sealed] = stored.split(".");
  if (version !== "v1" || !iv || !sealed) throw new Error("unrecognised ciphertext format");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: b64decode(iv) }, key, b64decode(sealed));
  return new TextDecoder().decode(plain);
}

export async function encryptJson(encryptionKey: string | undefined, value: unknown): Promise<string> {
  return encryptText(encryptionKey, JSON.stringify(value));
}

export async function decryptJson<T>(encryptionKey: string | undefined, stored: string): Promise<T> {
  return JSON.parse(await decryptText(encryptionKey, stored)) as T;
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export async function sha256Hex(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
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
