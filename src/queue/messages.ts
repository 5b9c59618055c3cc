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

/** v2: every event of one ingest request in one message (a batch of 100 is one queue send). */
export const FanoutBatchMessage = z.object({
  v: z.literal(2),
  kind: z.literal("fanout"),
  tenant_id: z.string(),
  event_ids: z.array(z.string()).min(1).max(100),
  origin: z.string(),
});

/**
 * Operational events the dispatchers raise (delivery.*, endpoint.disabled). They travel by queue so
 * the consumer ingests a whole batch of them in one D1 round trip, off the alarm's path.
 */
export const OperationalMessage = z.object({
  v: z.literal(1),
  kind: z.literal("operational"),
  events: z
    .array(
      z.object({
        type: z.string().regex(/^(endpoint|delivery)\.[a-z_]+$/),
        tenant_id: z.string(),
        data: z.record(z.string(), z.unknown()),
        /** delivery.*: the delivered event's type, so alerts about alert deliveries are not raised. */
        event_type: z.string().optional(),
      }),
    )
    .min(1)
    .max(100),
});
export type OperationalMessage = z.infer<typeof OperationalMessage>;

export const FanoutMessages = z.union([FanoutMessage, FanoutBatchMessage]);
export type FanoutMessages = z.infer<typeof FanoutMessages>;

export const EventsMessage = z.union([...FanoutMessages.options, OperationalMessage]);
export type EventsMessage = z.infer<typeof EventsMessage>;

export function fanoutMessage(tenantId: string, eventIds: string[], origin = ""): FanoutMessages {
  return { v: 2, kind: "fanout", tenant_id: tenantId, event_ids: eventIds, origin };
}

/** The events a message asks to fan out, whatever its version. */
export function eventIdsOf(message: FanoutMessages): string[] {
  return message.v === 1 ? [message.event_id] : message.event_ids;
}
