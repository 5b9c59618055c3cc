/**
 * What the dispatcher reports outward: an endpoint the receiver disabled (410 or
 * `webhook-delivery: disable`) or that failed for 5 days, and delivery milestones as operational events.
 */
import { eq } from "drizzle-orm";
import type { EndpointSnapshot } from "../attempts/endpoint-snapshot";
import { writeEndpointStatus } from "../attempts/endpoint-status";
import { queueOperational } from "../attempts/queue-operational";
import type { DeliveryRef } from "../attempts/record";
import { getDb } from "../db/client";
import { endpoints } from "../db/schema";
import type { ReceiverDisableReason } from "../domain/endpoints";
import type { OperationalType } from "../domain/operational";
import { errorFields, log } from "../lib/log";

export interface OperationalSignal {
  type: Extract<OperationalType, "delivery.failing" | "delivery.exhausted" | "delivery.recovered">;
  delivery: DeliveryRef;
  attempts: number;
  /** The delivered event's type: a delivery of a tenant alert raises no alert of its own. */
  eventType: string;
}

/** A disable the dispatcher applied and D1 does not have yet: kept in the object until it lands. */
export interface PendingDisable {
  reason: ReceiverDisableReason;
  at: number;
  /** The snapshot version the dispatcher acted on: D1 is written only while it still has it. */
  version: number;
}

/** A D1 version moved under a disable this many times in a row: D1's row is taken as it is. */
const DISABLE_CAS_TRIES = 3;

/**
 * Writes the disable to D1 (src/attempts/endpoint-status.ts, the one writer) as a compare-and-set on the version the dispatcher acted on, so a
 * change D1 has and the object has not seen yet is never overwritten. When the version moved and
 * the endpoint is still active at the same URL, the receiver's answer still holds: the write is
 * tried again on the newer version. Answers the row D1 has afterwards (null when the endpoint is
 * gone); throws when D1 could not be written (the caller keeps the disable and retries).
 */
export async function onEndpointDisabledByReceiver(
  env: Env,
  endpoint: EndpointSnapshot,
  pending: PendingDisable,
): Promise<EndpointSnapshot | null> {
  const db = getDb(env);
  let version = pending.version;
  for (let tries = 0; tries < DISABLE_CAS_TRIES; tries++) {
    const row = await writeEndpointStatus(
      db,
      endpoint.id,
      { status: "disabled", reason: pending.reason, at: pending.at },
      { status: "active", version },
    );
    if (row) {
      await queueOperational(env, [
        {
          type: "endpoint.disabled",
          tenantId: endpoint.tenantId,
          data: { endpoint_id: endpoint.id, reason: pending.reason },
        },
      ]).catch((err) =>
        log.error("could not emit endpoint.disabled", { endpoint_id: endpoint.id, ...errorFields(err) }),
      );
      return row;
    }
    const current = (await db.select().from(endpoints).where(eq(endpoints.id, endpoint.id)).get()) ?? null;
    if (current?.status !== "active" || current.url !== endpoint.url) return current;
    version = current.version;
  }
  return (await db.select().from(endpoints).where(eq(endpoints.id, endpoint.id)).get()) ?? null;
}

export async function onOperationalSignals(env: Env, endpoint: EndpointSnapshot, signals: OperationalSignal[]) {
  await queueOperational(
    env,
    signals.map((s) => ({
      type: s.type,
      tenantId: endpoint.tenantId,
      data: {
        endpoint_id: endpoint.id,
        delivery_id: s.delivery.id,
        event_id: s.delivery.eventId,
        attempts: s.attempts,
      },
      eventType: s.eventType,
    })),
  );
}
