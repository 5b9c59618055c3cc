/** The TenantLog's RPC contract: the rows it answers and the inputs its verbs take. */
import type { DeliveryChange, DeliveryRef } from "../attempts/record";
import type { Increment } from "../attempts/stats-rollup";
import type { SegmentLimits } from "../config";
import type { DeliveryStatus, StatusClass } from "../domain/deliveries";
import type { LanePlace } from "./lanes";
import type { attempts, deadLetters, deliveries, deliveryStats, events, tasks } from "./schema";
import type { ShardChanges } from "./segments";

/** The trace fields are optional so code that builds events without a trace needs no change. */
export type EventRow = Omit<typeof events.$inferSelect, "traceId" | "traceFlags"> & {
  traceId?: string | null;
  traceFlags?: string | null;
};
export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type StatsRow = typeof deliveryStats.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** Which tenant a write is for: its incarnation (the tenant row's created_at) and retention. */
export interface TenantRef {
  id: string;
  incarnation: number;
  retentionDays: number;
  /**
   * Set on a write to one of a tenant's own log segments (./segments.ts): which one, and when it
   * stops taking events. An operator log has none: it is one object, purged row by row.
   */
  segment?: { number: number; limits: SegmentLimits /** The shard of the segment (0 when absent). */; shard?: number };
}

export interface AppendInput {
  event: EventRow;
  /** fingerprintOf(event): what a repeat of its idempotency key must match ("" for an event without a key). */
  fingerprint: string;
}

export type AppendResult =
  | { kind: "created"; event: EventRow }
  | { kind: "repeat"; event: EventRow }
  | { kind: "conflict"; key: string };

// Defined with the engine that produces them (src/attempts/record.ts); the TenantLog records them.
export type { DeliveryChange, DeliveryRef };

/**
 * An event as handed to dispatchers: its metadata, and its payload when the page had room for it
 * (./handoff-page.ts); null means the dispatcher loads it by event id before its attempt.
 */
export type HandoffEvent = Pick<
  EventRow,
  | "id"
  | "tenantId"
  | "type"
  | "channels"
  | "orderingKey"
  | "deliverAt"
  | "expiresAt"
  | "createdAt"
  | "traceId"
  | "traceFlags"
> & {
  payload: string | null;
};

/** Deliveries to hand to dispatchers, with their events (each once): one page, bounded in bytes. */
export interface FanoutPlan {
  events: HandoffEvent[];
  deliveries: { id: string; eventId: string; endpointId: string; lane?: LanePlace | null }[];
}

/**
 * Where a tenant's segments are, for a fan-out that meets an ordering key new to its segment and
 * brings the key's lane tails over from the segment before (./lanes.ts).
 */
export interface LaneContext {
  logName: string;
  /** The oldest segment kept: no segment before it is asked. */
  first: number;
  shards: ShardChanges;
}

/** A delivery as a dispatcher fetches it when its lane waits for it (TenantLog.laneLink). */
export interface LaneLink {
  id: string;
  status: DeliveryStatus;
  attemptCount: number;
  /** Whether it had an attempt in its lane's turn (any but a manual retry). */
  attemptedInTurn: boolean;
  place: LanePlace | null;
  event: HandoffEvent;
}

/** One fan-out call's answer: the first page of what it wrote, and where the caller goes on. */
export interface FanoutStep extends FanoutPlan {
  /** How many of the requests (from the front) this call matched; the caller sends the rest again. */
  handled: number;
  /** Set when more `pending` deliveries of the handled requests remain: the cursor for fanOutPage. */
  next: string | null;
  /** Keyed events among the handled that wait for earlier ones of their key: queue them again. */
  deferred?: string[];
  /** Nothing was done: call again with a LaneContext (a key new to this segment). */
  needsLanes?: boolean;
}

export interface RecoverItem {
  deliveryId: string;
  attemptCount: number;
  event: HandoffEvent;
  /** Its place in its lane (./lanes.ts), kept by the recover. */
  lane: LanePlace | null;
}

/**
 * One endpoint's all-time attempt and delivery counters (GET /metrics): a roll-up row's counters
 * summed over its hours, so the same fields as the increment that writes them.
 */
export type EndpointTotals = Omit<Increment, "tenantId" | "hour">;

/** Open deliveries of one endpoint in one status. */
export interface OpenBacklog {
  endpointId: string;
  status: Extract<DeliveryStatus, "pending" | "delivering" | "pending_retry">;
  count: number;
}

export interface TenantMetrics {
  endpoints: EndpointTotals[];
  backlog: OpenBacklog[];
  /** SQLite bytes of the log's objects (databaseSize, every kept segment and shard): what storage bills. */
  storageBytes: number;
}

export interface EventFilters {
  limit: number;
  before?: string;
  type?: string;
  channel?: string;
  since?: number;
  until?: number;
}

export interface DeliveryFilters {
  limit: number;
  before?: string;
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  statusCodeClass?: StatusClass;
  channel?: string;
  orderingKey?: string;
  since?: number;
  until?: number;
}

export interface AttemptFilters {
  limit: number;
  before?: string;
  endpointId?: string;
  deliveryId?: string;
  eventId?: string;
  statusCodeClass?: StatusClass;
  error?: string;
  since?: number;
  until?: number;
}

/** A replay's count of one endpoint and source status ("missing" for a missing replay). */
export interface ReplayCount {
  endpointId: string;
  status: string;
  count: number;
}

/** One page of a replay: what it wrote, as hand-off pages; `last` once nothing is left to write. */
export interface ReplayPage {
  plans: FanoutPlan[];
  written: number;
  last: boolean;
}
