/** The `traceparent` header of one attempt of an event that carries a trace; none otherwise. */
import { attemptTraceparent } from "../delivery/trace-context";

export function traceHeader(event: { traceId?: string | null; traceFlags?: string | null }): Record<string, string> {
  if (!event.traceId) return {};
  return {
    traceparent: attemptTraceparent({ traceId: event.traceId, flags: event.traceFlags ?? "00" }, (n) =>
      crypto.getRandomValues(new Uint8Array(n)),
    ),
  };
}
