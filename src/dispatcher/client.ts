/**
 * How callers reach an endpoint's EndpointDispatcher: by RPC on the object named by the endpoint
 * id. The one place that derives the stub from the id, and the one place that tells a dispatcher
 * about a change to its endpoint; nothing outside src/dispatcher touches its storage.
 */
import { type EndpointRow, snapshotOf } from "../attempts/endpoint-snapshot";
import type { AttemptTrigger } from "../domain/deliveries";
import type { LanePlace } from "../tenant-log/lanes";
import type { EndpointDispatcher } from "./endpoint-dispatcher";

/** One delivery handed to a dispatcher by fan-out, recovery or a resend. */
export interface EnqueueItem {
  deliveryId: string;
  tenantId: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: number;
  /** Absent or null: the dispatcher loads it by event id before the attempt (./payloads.ts). */
  payload?: string | null;
  orderingKey: string | null;
  deliverAt: number | null;
  expiresAt: number | null;
  attempts?: number;
  trigger?: AttemptTrigger;
  /** Its place in the lane of its endpoint and ordering key (src/tenant-log/lanes.ts); absent: none. */
  lane?: LanePlace | null;
  /** The event's W3C trace (src/delivery/trace-context.ts), sent as a new span on every attempt. */
  traceId?: string | null;
  traceFlags?: string | null;
}

export function dispatcherFor(env: Env, endpointId: string): DurableObjectStub<EndpointDispatcher> {
  return env.DISPATCHER.getByName(endpointId);
}

/** Tells the endpoint's dispatcher about a change (URL, secrets, status...). */
export async function pushSnapshot(env: Env, row: EndpointRow) {
  await dispatcherFor(env, row.id).configure(snapshotOf(row));
}

/** Deleted endpoints: their dispatchers cancel what they hold and clear their storage. */
export async function forgetEndpoints(env: Env, endpointIds: string[]) {
  await Promise.all(endpointIds.map((id) => dispatcherFor(env, id).forget()));
}
