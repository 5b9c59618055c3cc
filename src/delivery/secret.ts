// Endpoint secrets in the Standard Webhooks shape: "whsec_" + base64 of random bytes.
// The prefix lets receivers (and the standardwebhooks/svix libraries) recognise the format,
// and the bytes after it are the HMAC key for the "standard" signature scheme.
// Tenants may bring their own secret (moving existing subscribers): `secretProblem` says whether
// it fits the endpoint's scheme.

const PREFIX = "whsec_";
// 24 bytes = 192 bits: above the 128-bit floor Standard Webhooks asks for, and encodes to
// base64 without padding (24 is a multiple of 3), which keeps the secret copy-paste friendly.
const SECRET_BYTES = 24;
/** Bounds of a brought `standard` secret's key, in bytes (docs/contract.md "Endpoints": 24..64). */
const STANDARD_SECRET_BYTES = { min: 24, max: 64 } as const;
/** Bounds of a brought `hmac-sha256-hex` secret, in characters (docs/contract.md "Endpoints": 16..256 printable ASCII). */
const HEX_SECRET_CHARS = { min: 16, max: 256 } as const;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export type SecretScheme = "standard" | "hmac-sha256-hex";

export function generateSecret(): string {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  return PREFIX + bytesToBase64(bytes);
}

/** The decoded key of a `whsec_` + base64 secret, or null when the string is not one. */
function whsecBytes(secret: string): Uint8Array | null {
  if (!secret.startsWith(PREFIX)) return null;
  const encoded = secret.slice(PREFIX.length);
  if (encoded === "" || !BASE64.test(encoded)) return null;
  return base64ToBytes(encoded);
}

/** Why `secret` cannot sign under `scheme`, or null when it can. Never echoes the secret. */
export function secretProblem(secret: string, scheme: SecretScheme): string | null {
  if (scheme === "standard") {
    const bytes = whsecBytes(secret);
    if (!bytes) return "a standard secret is whsec_ followed by base64";
    if (bytes.length < STANDARD_SECRET_BYTES.min || bytes.length > STANDARD_SECRET_BYTES.max) {
      return `a standard secret's key is ${STANDARD_SECRET_BYTES.min}..${STANDARD_SECRET_BYTES.max} bytes (this one is ${bytes.length})`;
    }
    return null;
  }
  if (!PRINTABLE_ASCII.test(secret))
    return "an hmac-sha256-hex secret is printable ASCII (no control or non-ASCII characters)";
  if (secret.length < HEX_SECRET_CHARS.min || secret.length > HEX_SECRET_CHARS.max) {
    return `an hmac-sha256-hex secret is ${HEX_SECRET_CHARS.min}..${HEX_SECRET_CHARS.max} characters (this one is ${secret.length})`;
  }
  return null;
}

// The key `webhook-signature` is signed with. A `whsec_` + base64 secret is decoded, as the
// Standard Webhooks libraries do; any other (a vendor-style secret brought for an hmac-sha256-hex
// endpoint) is used as its UTF-8 bytes, what those libraries' raw-key option expects.
export function standardKeyBytes(secret: string): Uint8Array {
  return whsecBytes(secret) ?? new TextEncoder().encode(secret);
}

// btoa/atob work on "binary strings" (one char per byte); these two wrap that detail.
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function base64ToBytes(encoded: string): Uint8Array {
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
