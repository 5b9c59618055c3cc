/**
 * Operational events: Edgehooks posts its own events (endpoint.*, delivery.*) to the endpoints of
 * the reserved tenant `_operator`, created on first use. Their data names ids, never payloads or
 * secrets. Events about `_operator`'s own endpoints are not emitted, so a failing operator
 * endpoint cannot feed itself.
 */
import { chunk } from "../lib/chunk";
import type { OperationalMessage } from "../queue/messages";
import type { ServiceCtx } from "./context";
import { ingestEvents } from "./events/ingest";
import { ensureTenant } from "./tenants";

export const OPERATOR_TENANT = "_operator";

export type OperationalType =
  | "endpoint.created"
  | "endpoint.updated"
  | "endpoint.deleted"
  | "endpoint.disabled"
  | "endpoint.enabled"
  | "endpoint.secret_rotated"
  | "delivery.failing"
  | "delivery.exhausted"
  | "delivery.recovered";

export interface OperationalEvent {
  type: OperationalType;
  tenantId: string;
  data: Record<string, unknown>;
}

/** An ingest (and its fan-out message) holds at most this many events. */
const EVENTS_PER_INGEST = 100;

/** The events worth emitting, in runs that fit one ingest or one queue message. */
const emittable = (events: OperationalEvent[]) => chunk(events.filter((e) => e.tenantId !== OPERATOR_TENANT), EVENTS_PER_INGEST);

/** Stores the events for `_operator` now (routes, and the queue consumer for what was queued). */
export async function emitOperational(ctx: ServiceCtx, events: OperationalEvent[]) {
  const runs = emittable(events);
  if (!runs.length) return;
  await ensureTenant(ctx.db, OPERATOR_TENANT, "Edgehooks operator");
  for (const run of runs) {
    await ingestEvents(
      ctx,
      OPERATOR_TENANT,
      run.map((e) => ({ input: { type: e.type, data: { tenant_id: e.tenantId, ...e.data } } })),
    );
  }
}

/**
 * Hands events to the queue instead (the dispatchers): one queue send on the alarm's path, and the
 * consumer stores a whole batch of them in one D1 round trip. Every recovered delivery raises one,
 * so after an outage they come by the thousand.
 */
export async function queueOperational(env: Env, events: OperationalEvent[]) {
  for (const run of emittable(events)) {
    const message: OperationalMessage = { v: 1, kind: "operational", events: run.map((e) => ({ type: e.type, tenant_id: e.tenantId, data: e.data })) };
    await env.EVENTS_QUEUE.send(message, { contentType: "json" });
  }
}
