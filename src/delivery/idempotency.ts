/**
 * The idempotency rule: a repeat of an event's idempotency key is the same event when these parts
 * match (docs/contract.md "Idempotency"); a key reused with a different body is a conflict. Pure:
 * the TenantLog compares what it stored, ingest computes the fingerprint of what came in.
 */

/** The parts of an event a repeat of its idempotency key must match. */
export interface FingerprintedEvent {
  type: string;
  /** The payload as stored: JSON text. */
  payload: string;
  channels: string[] | null;
  orderingKey: string | null;
  deliverAt: number | null;
  expiresAt: number | null;
}

/** One string per body: object keys sorted, so `{a,b}` and `{b,a}` are the same event. */
export function fingerprintOf(e: FingerprintedEvent): string {
  return JSON.stringify([
    e.type,
    canonical(JSON.parse(e.payload)),
    e.channels ?? [],
    e.orderingKey,
    e.deliverAt,
    e.expiresAt,
  ]);
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same body. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}
