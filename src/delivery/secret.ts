// Endpoint secrets in the Standard Webhooks shape: "whsec_" + base64 of random bytes.
// The prefix lets receivers (and the standardwebhooks/svix libraries) recognise the format,
// and the bytes after it are the HMAC key for the "standard" signature scheme.

const PREFIX = "whsec_";
// 24 bytes = 192 bits: above the 128-bit floor Standard Webhooks asks for, and encodes to
// base64 without padding (24 is a multiple of 3), which keeps the secret copy-paste friendly.
const SECRET_BYTES = 24;

export function generateSecret(): string {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  return PREFIX + bytesToBase64(bytes);
}

// The key the standard scheme signs with. A secret without the prefix is decoded whole, as the
// Standard Webhooks libraries do, so operators can import secrets minted elsewhere.
export function standardKeyBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  return base64ToBytes(encoded);
}

// btoa/atob work on "binary strings" (one char per byte); these two wrap that detail.
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function base64ToBytes(encoded: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(encoded);
  } catch {
    // atob throws a DOMException whose message varies by runtime; callers get one clear error.
    throw new Error("secret is not valid base64");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
