/**
 * Operational events by queue, for the dispatchers: one queue send on the alarm's path, and the
 * consumer stores a whole batch of them in one TenantLog call (src/services/operational.ts). Every
 * recovered delivery raises one, so after an outage they come by the thousand.
 */
import { emittable, type OperationalEvent } from "../domain/operational";
import type { OperationalMessage } from "../domain/queue-messages";

export async function queueOperational(env: Env, events: OperationalEvent[]) {
  for (const run of emittable(events)) {
    const message: OperationalMessage = {
      v: 1,
      kind: "operational",
      events: run.map((e) => ({
        type: e.type,
        tenant_id: e.tenantId,
        data: e.data,
        ...(e.eventType !== undefined ? { event_type: e.eventType } : {}),
      })),
    };
    await env.EVENTS_QUEUE.send(message, { contentType: "json" });
  }
}
