import type { Envelope } from "../domain/endpoints";

// Body shapes a subscriber can choose. The event is rendered once per endpoint and the exact
// string is both signed and sent, so key order is fixed here and never re-serialised later.

export type EnvelopeKind = Envelope;

export type EnvelopeEvent = {
  id: string;
  type: string;
  /** RFC 3339 UTC, as stored at ingest. */
  createdAt: string;
  data: unknown;
};

export function renderBody(kind: EnvelopeKind, event: EnvelopeEvent): string {
  // JSON.stringify drops keys whose value is undefined; receivers expect `data` to be present.
  const data = event.data === undefined ? null : event.data;
  switch (kind) {
    case "standard":
      return JSON.stringify({ id: event.id, type: event.type, timestamp: event.createdAt, data });
    case "event-data":
      return JSON.stringify({ event: event.type, data });
    case "jsonapi":
      return JSON.stringify({
        data: {
          type: "event",
          id: event.id,
          attributes: { event_type: event.type, created_at: event.createdAt, data },
        },
      });
    default: {
      // Exhaustiveness: a new kind added to the union must be rendered here.
      const unknownKind: never = kind;
      throw new Error(`unknown envelope ${String(unknownKind)}`);
    }
  }
}
