/** Reading the delivery log: deliveries and attempts, newest first, tenant-scoped. */
import { and, asc, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { attempts, deliveries, type DeliveryStatus } from "../../db/schema";
import { notFound } from "../../errors";
import { iso, isoOrNull } from "../../http/time";
import type { ServiceCtx } from "../context";

export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;

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

export function attemptView(row: AttemptRow) {
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
    request_headers: row.requestHeaders,
  };
}

export interface DeliveryFilters {
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  since?: number;
  until?: number;
}

export async function listDeliveries(ctx: ServiceCtx, tenantId: string, f: DeliveryFilters & { limit: number; before?: string }) {
  const conds: SQL[] = [eq(deliveries.tenantId, tenantId)];
  if (f.before) conds.push(lt(deliveries.id, f.before));
  if (f.endpointId) conds.push(eq(deliveries.endpointId, f.endpointId));
  if (f.eventId) conds.push(eq(deliveries.eventId, f.eventId));
  if (f.status) conds.push(eq(deliveries.status, f.status));
  if (f.eventType) conds.push(eq(deliveries.eventType, f.eventType));
  if (f.since !== undefined) conds.push(gte(deliveries.createdAt, f.since));
  if (f.until !== undefined) conds.push(lte(deliveries.createdAt, f.until));
  return ctx.db.select().from(deliveries).where(and(...conds)).orderBy(desc(deliveries.id)).limit(f.limit + 1).all();
}

export async function getDelivery(ctx: ServiceCtx, tenantId: string, deliveryId: string): Promise<DeliveryRow> {
  const row = await ctx.db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.id, deliveryId), eq(deliveries.tenantId, tenantId)))
    .get();
  if (!row) throw notFound("delivery");
  return row;
}

export async function attemptsOf(ctx: ServiceCtx, tenantId: string, deliveryId: string) {
  return ctx.db
    .select()
    .from(attempts)
    .where(and(eq(attempts.deliveryId, deliveryId), eq(attempts.tenantId, tenantId)))
    .orderBy(asc(attempts.number), asc(attempts.id))
    .all();
}

export async function listAttempts(
  ctx: ServiceCtx,
  tenantId: string,
  f: { limit: number; before?: string; endpointId?: string; deliveryId?: string; eventId?: string },
) {
  const conds: SQL[] = [eq(attempts.tenantId, tenantId)];
  if (f.before) conds.push(lt(attempts.id, f.before));
  if (f.endpointId) conds.push(eq(attempts.endpointId, f.endpointId));
  if (f.deliveryId) conds.push(eq(attempts.deliveryId, f.deliveryId));
  if (f.eventId) conds.push(eq(attempts.eventId, f.eventId));
  return ctx.db.select().from(attempts).where(and(...conds)).orderBy(desc(attempts.id)).limit(f.limit + 1).all();
}

export async function getAttempt(ctx: ServiceCtx, tenantId: string, attemptId: string) {
  const row = await ctx.db.select().from(attempts).where(and(eq(attempts.id, attemptId), eq(attempts.tenantId, tenantId))).get();
  if (!row) throw notFound("attempt");
  return row;
}
