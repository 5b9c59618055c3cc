/**
 * Verifying a delivery in a receiver. `standard` delegates to the `standardwebhooks` library
 * (signature over `{id}.{timestamp}.{body}` with the base64 key after `whsec_`, timestamp within
 * 5 minutes, any of the space-separated signatures). The hex profile is a hex HMAC-SHA256 of the
 * raw body keyed with the whole secret string, as vendors' handlers compute it; it is checked with
 * WebCrypto's `verify`, which compares in constant time.
 */
import { Webhook } from "standardwebhooks";

export type SignatureProfile = { scheme: "standard" } | { scheme: "hmac-sha256-hex"; header: string; prefix?: string };

export interface VerifyInput {
  /** The raw request body, exactly as received (verify before parsing). */
  payload: string;
  headers: Headers | Record<string, string | string[] | undefined>;
  secret: string;
  /** Default `{ scheme: "standard" }`. */
  signature?: SignatureProfile;
}

export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
}

function header(headers: VerifyInput["headers"], name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return null;
  const out = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Answers the parsed body when the signature holds; throws WebhookVerificationError otherwise. */
export async function verifyWebhook<T = unknown>(input: VerifyInput): Promise<T> {
  const profile = input.signature ?? { scheme: "standard" };
  if (profile.scheme === "standard") {
    const wh = new Webhook(input.secret);
    try {
      return wh.verify(input.payload, {
        "webhook-id": header(input.headers, "webhook-id") ?? "",
        "webhook-timestamp": header(input.headers, "webhook-timestamp") ?? "",
        "webhook-signature": header(input.headers, "webhook-signature") ?? "",
      }) as T;
    } catch (err) {
      throw new WebhookVerificationError((err as Error).message);
    }
  }
  const sent = header(input.headers, profile.header);
  if (!sent) throw new WebhookVerificationError(`missing ${profile.header} header`);
  const prefix = profile.prefix ?? "";
  if (!sent.startsWith(prefix)) throw new WebhookVerificationError(`${profile.header} does not start with '${prefix}'`);
  const signature = hexToBytes(sent.slice(prefix.length).trim());
  if (!signature) throw new WebhookVerificationError(`${profile.header} is not hex`);
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(input.secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  if (!(await crypto.subtle.verify("HMAC", key, signature, enc.encode(input.payload))))
    throw new WebhookVerificationError("no matching signature found");
  return JSON.parse(input.payload) as T;
}
