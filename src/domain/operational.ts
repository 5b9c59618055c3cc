/**
 * The operational events' vocabulary: what Edgehooks says about a tenant's endpoints and
 * deliveries, to the reserved tenant `_operator`. Here so the verbs that store them
 * (src/services/operational.ts) and the dispatchers that queue them (src/attempts/queue-operational.ts)
 * share one list and one rule for what is emitted.
 */
import { chunk } from "../lib/chunk";

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
  /** For delivery.*: the type of the event delivered (alerts about alerts are not raised). */
  eventType?: string;
}

/** An ingest (and its fan-out message) holds at most this many events. */
export const EVENTS_PER_INGEST = 100;

/**
 * The events worth emitting, in runs that fit one ingest or one queue message. None about
 * `_operator`'s own endpoints, so a failing operator endpoint cannot feed itself.
 */
export const emittable = (events: OperationalEvent[]) =>
  chunk(
    events.filter((e) => e.tenantId !== OPERATOR_TENANT),
    EVENTS_PER_INGEST,
  );
