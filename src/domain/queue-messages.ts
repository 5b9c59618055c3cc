/**
 * Queue message contracts, versioned so a deploy can change them while old messages drain.
 * Messages carry ids only: payloads stay in the tenant's TenantLog (queue messages are capped at 128 KB).
 */
import { z } from "zod";

/**
 * Event ids one fan-out message names: the TenantLog's sender never merges more (src/tenant-log/fanout-sender.ts)
 * and the consumer's schema below takes no more. As many as one batch ingest holds, so a batch
 * request is one message; a queue batch of 50 messages then names at most 5,000 events.
 */
export const MAX_EVENTS_PER_FANOUT_MESSAGE = 100;

/**
 * A queue message is capped at 128 KB (Cloudflare Queues limits). Each field of a fan-out message is
 * bounded in characters (below), so the largest one is ~8 KB: the schema refuses anything bigger
 * long before the platform would.
 */
export const MAX_FANOUT_MESSAGE_BYTES = 128_000;
/**
 * Messages per sendBatch: a batch send takes at most 100 messages and 256 KB (Cloudflare Queues
 * limits); 20 fan-out messages of at most ~8 KB each stay far under both.
 */
export const MESSAGES_PER_SEND_BATCH = 20;
/** An event id (`evt_` + 26) with room to spare; a tenant id is 1..64 characters (routes/common.ts). */
const MAX_ID_CHARS = 64;
/** "" or `resend:dlv_…`. */
const MAX_ORIGIN_CHARS = 80;

const fanoutFields = {
  v: z.literal(2),
  kind: z.literal("fanout"),
  tenant_id: z.string().min(1).max(MAX_ID_CHARS),
  origin: z.string().max(MAX_ORIGIN_CHARS),
  redrives: z.number().int().min(0).optional(),
};

/**
 * Every event of one ingest request in one message (a batch of 100 is one queue send). v2 since
 * the per-event v1 message, which nothing sends any more. `redrives` counts how often a dead
 * letter of it was queued again, so the sweeper stops at a bound.
 */
export const FanoutBatchMessage = z.object({
  ...fanoutFields,
  event_ids: z.array(z.string().min(1).max(MAX_ID_CHARS)).min(1).max(MAX_EVENTS_PER_FANOUT_MESSAGE),
  /**
   * Set on a continuation (src/services/events/fanout-continuation.ts): the events' deliveries are
   * written, and those with an id after this one ("" for all) are still to be handed over.
   */
  resume_after: z.string().max(MAX_ID_CHARS).optional(),
});

/**
 * A fan-out message older code may have queued with more ids than MAX_EVENTS_PER_FANOUT_MESSAGE (its
 * sender merged up to 500). Never sent any more: the consumer and a re-drive split it into messages
 * of the schema above. Bounded too, so no body makes the split unbounded.
 */
const OversizedFanoutMessage = z.object({
  ...fanoutFields,
  event_ids: z.array(z.string().min(1).max(MAX_ID_CHARS)).min(1).max(10_000),
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

/** Fan-out messages for any number of ids, each within MAX_EVENTS_PER_FANOUT_MESSAGE. */
export function fanoutMessages(tenantId: string, eventIds: string[], origin = ""): FanoutMessages[] {
  const out: FanoutMessages[] = [];
  for (let i = 0; i < eventIds.length; i += MAX_EVENTS_PER_FANOUT_MESSAGE)
    out.push(fanoutMessage(tenantId, eventIds.slice(i, i + MAX_EVENTS_PER_FANOUT_MESSAGE), origin));
  return out;
}

/**
 * A body the schema refuses only because it names too many events (queued by an older sender):
 * the messages of the schema it splits into, keeping its origin and re-drive count. Null otherwise.
 */
export function splitOversizedFanout(body: unknown): FanoutMessages[] | null {
  const parsed = OversizedFanoutMessage.safeParse(body);
  if (!parsed.success || parsed.data.event_ids.length <= MAX_EVENTS_PER_FANOUT_MESSAGE) return null;
  const { tenant_id, event_ids, origin, redrives } = parsed.data;
  return fanoutMessages(tenant_id, event_ids, origin).map((m) => (redrives === undefined ? m : { ...m, redrives }));
}

/**
 * Which tenant a message is about, even when it fails the schema: a fan-out's `tenant_id`, or the
 * one tenant all of an operational message's events name. Null when it names none (or several).
 */
export function tenantNamedBy(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as { tenant_id?: unknown; events?: unknown };
  const valid = (t: unknown): t is string => typeof t === "string" && t.length > 0 && t.length <= MAX_ID_CHARS;
  if (valid(b.tenant_id)) return b.tenant_id;
  if (Array.isArray(b.events)) {
    const named = new Set(
      b.events.map((e) => (e && typeof e === "object" ? (e as { tenant_id?: unknown }).tenant_id : undefined)),
    );
    const [only] = named;
    if (named.size === 1 && valid(only)) return only;
  }
  return null;
}
