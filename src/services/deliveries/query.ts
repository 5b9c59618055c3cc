/** Reading the delivery log from the tenant's TenantLog: deliveries and attempts, newest first. */
import { headersShownTo } from "../../attempts/shown-headers";
import { notFound } from "../../errors";
import { iso, isoOrNull } from "../../lib/time";
import { tenantLogFor } from "../../tenant-log/client";
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

export async function listDeliveries(ctx: ServiceCtx, tenantId: string, f: DeliveryFilters) {
  return tenantLogFor(ctx.env, tenantId).listDeliveries(f);
}

export async function getDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string): Promise<DeliveryRow> {
  const row = await tenantLogFor(ctx.env, tenantId).getDelivery(deliveryId);
  if (!row || row.tenantId !== tenantId) throw notFound("delivery");
  return row;
}

/** A delivery with its attempts (oldest first) and its event, in one TenantLog call. */
export async function deliveryDetail(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  const detail = await tenantLogFor(ctx.env, tenantId).deliveryDetail(deliveryId);
  if (!detail || detail.delivery.tenantId !== tenantId) throw notFound("delivery");
  return detail;
}

/** The event a delivery carries, with its payload; null once retention purged it. */
export async function deliveryEvent(ctx: ServiceCtx, tenantId: string, eventId: string) {
  const row = await tenantLogFor(ctx.env, tenantId).getEvent(eventId);
  return row && row.tenantId === tenantId ? row : null;
}

export async function listAttempts(ctx: ServiceCtx, tenantId: string, f: AttemptFilters) {
  return tenantLogFor(ctx.env, tenantId).listAttempts(f);
}

export async function getAttempt(ctx: ServiceCtx, tenantId: string, attemptId: string) {
  const row = await tenantLogFor(ctx.env, tenantId).getAttempt(attemptId);
  if (!row || row.tenantId !== tenantId) throw notFound("attempt");
  return row;
}
