/**
 * An attempt's request headers as the TenantLog stores them: without the four its own row already
 * says (`content-type` is the one every attempt sends, `webhook-id` the event id, `webhook-attempt`
 * the attempt number, `webhook-timestamp` the second it started), which were ~130 of the ~240
 * bytes of a typical attempt's headers, stored once per attempt and per endpoint (docs/scaling.md).
 * `headersAsSent` puts them back, in their place, so every read shows what was sent.
 *
 * Only a set that comes back exactly (same keys, values and order) is stored without them; any
 * other (an attempt that was not sent has none, a row from before) is stored whole, so a read never
 * shows a header that was not sent.
 */

/** Marks a stored set as compact: a colon is not allowed in an HTTP header name, so no sent header is named this. */
const COMPACT = ":c";

const CONTENT_TYPE = "application/json";

/** What an attempt's own row says, from which the four headers follow. */
export interface AttemptFacts {
  eventId: string;
  number: number;
  startedAt: number;
}

/** The headers to store for an attempt that sent `headers`. */
export function headersToStore(headers: Record<string, string>, attempt: AttemptFacts): Record<string, string> {
  const compact: Record<string, string> = { [COMPACT]: "1" };
  let dropped = 0;
  for (const [k, v] of Object.entries(headers)) {
    if (k === "content-type" || k === "webhook-id" || k === "webhook-attempt" || k === "webhook-timestamp") dropped++;
    else compact[k] = v;
  }
  const same = JSON.stringify(headersAsSent(compact, attempt)) === JSON.stringify(headers);
  return dropped > 0 && same ? compact : headers;
}

/** The headers an attempt sent, from what was stored (compact or whole). */
export function headersAsSent(stored: Record<string, string>, attempt: AttemptFacts): Record<string, string> {
  if (stored[COMPACT] === undefined) return stored;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(stored)) {
    if (k === COMPACT) continue;
    if (k === "user-agent") {
      // The order every attempt sends them in (src/attempts/send-attempt.ts, buildRequest).
      out["content-type"] = CONTENT_TYPE;
      out[k] = v;
      out["webhook-id"] = attempt.eventId;
      out["webhook-timestamp"] = String(Math.floor(attempt.startedAt / 1000));
      out["webhook-attempt"] = String(attempt.number);
    } else out[k] = v;
  }
  return out;
}
