/** Reading the delivery log: deliveries and attempts, newest first, tenant-scoped. */
import { and, asc, desc, eq, gte, isNotNull, isNull, lt, lte, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { attempts, deliveries, events, type DeliveryStatus } from "../../db/schema";
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

export type StatusCodeClass = "2xx" | "3xx" | "4xx" | "5xx" | "none";

export interface DeliveryFilters {
  endpointId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  statusCodeClass?: StatusCodeClass;
  channel?: string;
  since?: number;
  until?: number;
}

/** "4xx" → 400 <= code < 500; "none" → no HTTP answer at all (timeout, connection, blocked). */
function codeClass(column: SQLiteColumn, cls: StatusCodeClass): SQL {
  if (cls === "none") return isNull(column);
  const base = Number(cls[0]) * 100;
  return and(gte(column, base), lt(column, base + 100))!;
}

export async function listDeliveries(ctx: ServiceCtx, tenantId: string, f: DeliveryFilters & { limit: number; before?: string }) {
  const conds: SQL[] = [eq(deliveries.tenantId, tenantId)];
  if (f.before) conds.push(lt(deliveries.id, f.before));
  if (f.endpointId) conds.push(eq(deliveries.endpointId, f.endpointId));
  if (f.eventId) conds.push(eq(deliveries.eventId, f.eventId));
  if (f.status) conds.push(eq(deliveries.status, f.status));
  if (f.eventType) conds.push(eq(deliveries.eventType, f.eventType));
  if (f.statusCodeClass) {
    conds.push(codeClass(deliveries.lastStatusCode, f.statusCodeClass));
    // A delivery never attempted has no status code either; "none" means an attempt got no answer.
    if (f.statusCodeClass === "none") conds.push(isNotNull(deliveries.lastAttemptAt));
  }
  if (f.channel) {
    conds.push(sql`EXISTS (SELECT 1 FROM ${events}, json_each(${events.channels}) WHERE ${events.id} = ${deliveries.eventId} AND json_each.value = ${f.channel})`);
  }
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
  f: {
    limit: number;
    before?: string;
    endpointId?: string;
    deliveryId?: string;
    eventId?: string;
    statusCodeClass?: StatusCodeClass;
    error?: string;
    since?: number;
    until?: number;
  },
) {
  const conds: SQL[] = [eq(attempts.tenantId, tenantId)];
  if (f.statusCodeClass) conds.push(codeClass(attempts.statusCode, f.statusCodeClass));
  if (f.error) conds.push(eq(attempts.error, f.error as AttemptRow["error"] & string));
  if (f.since !== undefined) conds.push(gte(attempts.startedAt, f.since));
  if (f.until !== undefined) conds.push(lte(attempts.startedAt, f.until));
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
