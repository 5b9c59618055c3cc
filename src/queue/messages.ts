/**
 * Queue message contracts, versioned so a deploy can change them while old messages drain.
 * Messages carry ids only: payloads stay in D1 (queue messages are capped at 128 KB).
 */
import { z } from "zod";

export const FanoutMessage = z.object({
  v: z.literal(1),
  kind: z.literal("fanout"),
  tenant_id: z.string(),
  event_id: z.string(),
  /** "" for the event's own fan-out; "resend:<id>" for a resend. */
  origin: z.string(),
});

export const EventsMessage = FanoutMessage;
export type EventsMessage = z.infer<typeof EventsMessage>;

export function fanoutMessage(tenantId: string, eventId: string, origin = ""): EventsMessage {
  return { v: 1, kind: "fanout", tenant_id: tenantId, event_id: eventId, origin };
}
