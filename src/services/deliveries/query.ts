/** Reading the delivery log from the tenant's TenantLog: deliveries and attempts, newest first. */
import { headersShownTo } from "../../attempts/shown-headers";
import { notFound } from "../../errors";
import { iso, isoOrNull } from "../../lib/time";
import { logForId } from "../../tenant-log/client";
import { listAcross, type SegmentPage, segmentsOf } from "../../tenant-log/log-segments";
import type { AttemptFilters, AttemptRow, DeliveryFilters, DeliveryRow } from "../../tenant-log/types";
import type { ServiceCtx } from "../context";

export type { AttemptRow, DeliveryRow };

export function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    tenant_id: row.tenantId,
    event_id: row.eventId,
    endpoint_id: row.endpointId,
    event_type: row.eventType,
    status: row.status,
    attempt_count: row.attemptCount,
    sequence: row.sequence ?? null,
    next_attempt_at: row.status === "pending" || row.status === "pending_retry" ? isoOrNull(row.nextAttemptAt) : null,
    last_attempt_at: isoOrNull(row.lastAttemptAt),
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/**
 * An attempt as the API shows it. `mayReadSecrets` (admin scope: admin keys, writable portal
 * sessions) decides whether its signature headers are shown or masked (src/attempts/shown-headers.ts).
 */
export function attemptView(row: AttemptRow, mayReadSecrets: boolean) {
  return {
    id: row.id,
    delivery_id: row.deliveryId,
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    number: row.number,
    trigger: row.trigger,
    url: row.url,
    started_at: iso(row.startedAt),
    duration_ms: row.durationMs,
    status_code: row.statusCode,
    response_body: row.responseBody,
    error: row.error,
    error_detail: row.errorDetail,
    request_headers: headersShownTo(row.requestHeaders, mayReadSecrets),
  };
}

/** A page of deliveries across the tenant's log segments (src/tenant-log/log-segments.ts). */
export async function listDeliveries(
  ctx: ServiceCtx,
  tenantId: string,
  f: DeliveryFilters,
): Promise<SegmentPage<DeliveryRow>> {
  return listAcross(ctx.env, tenantId, await segmentsOf(ctx.env, tenantId), f, "dlv", (log, at) =>
    log.listDeliveries({ ...f, ...at }),
  );
}

export async function getDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string): Promise<DeliveryRow> {
  const row = await logForId(ctx.env, tenantId, deliveryId).getDelivery(deliveryId);
  if (!row || row.tenantId !== tenantId) throw notFound("delivery");
  return row;
}

/** A delivery with its attempts (oldest first) and its event, in one TenantLog call. */
export async function deliveryDetail(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  const detail = await logForId(ctx.env, tenantId, deliveryId).deliveryDetail(deliveryId);
  if (!detail || detail.delivery.tenantId !== tenantId) throw notFound("delivery");
  return detail;
}

/** The event a delivery carries, with its payload; null once retention purged it. */
export async function deliveryEvent(ctx: ServiceCtx, tenantId: string, eventId: string) {
  const row = await logForId(ctx.env, tenantId, eventId).getEvent(eventId);
  return row && row.tenantId === tenantId ? row : null;
}

/** A page of attempts across the tenant's log segments; an attempt lists with its delivery's segment. */
export async function listAttempts(
  ctx: ServiceCtx,
  tenantId: string,
  f: AttemptFilters,
): Promise<SegmentPage<AttemptRow>> {
  return listAcross(ctx.env, tenantId, await segmentsOf(ctx.env, tenantId), f, "att", (log, at) =>
    log.listAttempts({ ...f, ...at }),
  );
}

export async function getAttempt(ctx: ServiceCtx, tenantId: string, attemptId: string) {
  const row = await logForId(ctx.env, tenantId, attemptId).getAttempt(attemptId);
  if (!row || row.tenantId !== tenantId) throw notFound("attempt");
  return row;
}
