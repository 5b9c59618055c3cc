/**
 * What an attempt's logged request headers show to whom. Credentials (auth, custom headers) are
 * masked when logged. Signatures are kept for those who may read the endpoint's secret anyway
 * (to debug a receiver's verification), and masked for everyone else: a signature with the body
 * it signs is an offline oracle for a weak brought secret (an `hmac-sha256-hex` secret may be as
 * short as 16 characters, so vendors can import what their subscribers already hold).
 */
export const MASK = "********";

/**
 * Headers Edgehooks sets that carry neither a secret nor a function of one. Everything else
 * (signature headers under any name, auth and custom headers) is masked for a read-only view:
 * an allowlist, so a signature header named by a profile that has changed since stays hidden.
 */
const HEADERS_WITHOUT_SECRETS = new Set([
  "content-type",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-attempt",
  "traceparent",
]);

export function headersShownTo(headers: Record<string, string>, mayReadSecrets: boolean): Record<string, string> {
  if (mayReadSecrets) return headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = HEADERS_WITHOUT_SECRETS.has(k) ? v : MASK;
  return out;
}
