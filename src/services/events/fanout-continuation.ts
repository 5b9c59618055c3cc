/**
 * What a fan-out leaves for the next invocation when its hand-off budget runs out
 * (HANDOFF_CALLS_PER_INVOCATION): events not yet matched go back as ordinary fan-out messages,
 * events whose deliveries are written but not all handed over go as resume messages that name the
 * last delivery id already handed (`resume_after`). Both are queued before the consumer acks, so a
 * failed send retries the whole message (fan-out is idempotent) and nothing is left to the sweeper.
 */

import { type FanoutMessages, fanoutMessages, MESSAGES_PER_SEND_BATCH } from "../../domain/queue-messages";
import { chunk } from "../../lib/chunk";

type Request = { eventId: string; origin: string };

/** Deliveries of `requests` still to hand over: those after `after` (a delivery id; "" for all). */
export interface FanoutResume {
  requests: Request[];
  after: string;
}

/** The same events, one list per origin: a fan-out message has one origin. */
function byOrigin(requests: Request[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of requests) {
    const ids = out.get(r.origin);
    if (ids) ids.push(r.eventId);
    else out.set(r.origin, [r.eventId]);
  }
  return out;
}

export class FanoutContinuation {
  private readonly messages: FanoutMessages[] = [];
  constructor(private readonly tenantId: string) {}

  /** Events to match again from the start (none of their deliveries written by this run). */
  fanOut(requests: Request[]) {
    for (const [origin, ids] of byOrigin(requests)) this.messages.push(...fanoutMessages(this.tenantId, ids, origin));
  }

  /** Events whose deliveries are written: hand over those after `after`. */
  resume(requests: Request[], after: string) {
    for (const [origin, ids] of byOrigin(requests))
      this.messages.push(...fanoutMessages(this.tenantId, ids, origin).map((m) => ({ ...m, resume_after: after })));
  }

  async send(env: Env) {
    for (const some of chunk(this.messages, MESSAGES_PER_SEND_BATCH))
      await env.EVENTS_QUEUE.sendBatch(some.map((body) => ({ body, contentType: "json" as const })));
  }
}
