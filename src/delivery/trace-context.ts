/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` an ingest request
 * carried is kept with its event, and every attempt of its deliveries is sent as a new span of
 * that trace: `00-<the same trace id>-<a fresh span id>-<the same flags>`. A header that is not a
 * valid traceparent is ignored, as the W3C Trace Context spec asks of a receiver (never a 400). Pure: the caller
 * passes the random source.
 */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 2 lowercase hex digits (01 = sampled). */
  flags: string;
}

const HEX = /^[0-9a-f]+$/;
const allZero = (s: string) => /^0+$/.test(s);

/** The trace id and flags of a valid traceparent, or null (absent, malformed, all-zero ids, version ff). */
export function parseTraceparent(header: string | null | undefined): TraceContext | null {
  if (!header) return null;
  const value = header.trim();
  // version 00 is exactly 55 characters; a later version may append fields after a dash.
  if (value.length < 55 || !(value.length === 55 || value[55] === "-")) return null;
  const [version, traceId, parentId, flags] = value.slice(0, 55).split("-");
  if (!version || !traceId || !parentId || !flags) return null;
  if (version.length !== 2 || traceId.length !== 32 || parentId.length !== 16 || flags.length !== 2) return null;
  if (![version, traceId, parentId, flags].every((p) => HEX.test(p))) return null;
  if (version === "ff" || (version === "00" && value.length !== 55)) return null;
  if (allZero(traceId) || allZero(parentId)) return null;
  return { traceId, flags };
}

/** A traceparent for one attempt: the event's trace, a new span id. */
export function attemptTraceparent(trace: TraceContext, randomBytes: (n: number) => Uint8Array): string {
  let span = "";
  do span = [...randomBytes(8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  while (allZero(span));
  return `00-${trace.traceId}-${span}-${trace.flags}`;
}
