/** Reading a tenant's events back from its TenantLog (across its segments), and an event's deliveries. */
import { notFound } from "../../errors";
import { logForId } from "../../tenant-log/client";
import { listAcross, type SegmentPage, segmentsOf } from "../../tenant-log/log-segments";
import type { EventFilters, EventRow } from "../../tenant-log/types";
import type { ServiceCtx } from "../context";
import { type DeliveryRow, listDeliveries } from "../deliveries/query";
import { cachedTenant } from "../tenants";

/** A page of the tenant's events, newest first; 404 when the tenant does not exist. */
export async function listEvents(
  ctx: ServiceCtx,
  tenantId: string,
  filters: EventFilters,
): Promise<SegmentPage<EventRow>> {
  // The log reads are the hot read path: the tenant check goes through the config cache.
  await cachedTenant(ctx, tenantId);
  return listAcross(ctx.env, tenantId, await segmentsOf(ctx.env, tenantId), filters, "evt", (log, at) =>
    log.listEvents({ ...filters, ...at }),
  );
}

/** One event with its payload; 404 when it is not this tenant's. */
export async function getEvent(ctx: ServiceCtx, tenantId: string, eventId: string): Promise<EventRow> {
  const row = await logForId(ctx.env, tenantId, eventId).getEvent(eventId);
  if (!row || row.tenantId !== tenantId) throw notFound("event");
  return row;
}

/** A page of one event's deliveries, newest first; 404 when the event is not in the tenant's log. */
export async function listEventDeliveries(
  ctx: ServiceCtx,
  tenantId: string,
  eventId: string,
  f: { limit: number; before?: string },
): Promise<SegmentPage<DeliveryRow>> {
  const exists = await logForId(ctx.env, tenantId, eventId).getEvent(eventId);
  if (!exists) throw notFound("event");
  return listDeliveries(ctx, tenantId, { limit: f.limit, before: f.before, eventId });
}
