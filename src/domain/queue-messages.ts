/**
 * Queue message contracts, versioned so a deploy can change them while old messages drain.
 * Messages carry ids only: payloads stay in the tenant's TenantLog (queue messages are capped at 128 KB).
 */
import { z } from "zod";

/**
 * Every event of one ingest request in one message (a batch of 100 is one queue send). v2 since
 * the per-event v1 message, which nothing sends any more. `redrives` counts how often a dead
 * letter of it was queued again, so the sweeper stops at a bound.
 */
export const FanoutBatchMessage = z.object({
  v: z.literal(2),
  kind: z.literal("fanout"),
  tenant_id: z.string(),
  event_ids: z.array(z.string()).min(1).max(100),
  origin: z.string(),
  redrives: z.number().int().min(0).optional(),
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
  redrives: z.number().int().min(0).optional(),
});
export type OperationalMessage = z.infer<typeof OperationalMessage>;

export const FanoutMessages = FanoutBatchMessage;
export type FanoutMessages = z.infer<typeof FanoutMessages>;

export const EventsMessage = z.union([FanoutBatchMessage, OperationalMessage]);
export type EventsMessage = z.infer<typeof EventsMessage>;

export function fanoutMessage(tenantId: string, eventIds: string[], origin = ""): FanoutMessages {
  return { v: 2, kind: "fanout", tenant_id: tenantId, event_ids: eventIds, origin };
}
