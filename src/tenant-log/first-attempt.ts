/**
 * A delivery's first scheduled attempt is kept in the delivery's own row (the first_* columns,
 * v10), not in `attempts`: on the happy path (first try) a webhook writes no attempt row, and the
 * ids it would repeat (delivery, event, endpoint, tenant) are not stored twice. Its id is the
 * delivery's with `att_` (src/attempts/first-attempt-id.ts), so it is found from its id, and the
 * attempts list orders it among the others by that id. Later attempts, manual ones and test sends
 * go to `attempts` as before.
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { firstAttemptId } from "../attempts/first-attempt-id";
import type { AttemptResult } from "../attempts/send-attempt";
import { headersToStore } from "../attempts/stored-headers";
import type { AttemptError } from "../domain/deliveries";
import type { AttemptRow } from "./types";

/** The `deliveries` table seen through the columns that hold its first attempt. */
export const firstAttempts = sqliteTable("deliveries", {
  deliveryId: text("id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  endpointId: text("endpoint_id").notNull(),
  eventId: text("event_id").notNull(),
  url: text("first_url"),
  startedAt: integer("first_started_at"),
  durationMs: integer("first_duration_ms"),
  statusCode: integer("first_status_code"),
  responseBody: text("first_response_body"),
  error: text("first_error").$type<AttemptError | null>(),
  errorDetail: text("first_error_detail"),
  requestHeaders: text("first_request_headers", { mode: "json" }).$type<Record<string, string>>(),
});

type FirstAttemptRow = typeof firstAttempts.$inferSelect;

/** The first attempt as an attempts row (headers as stored), or null when the delivery has none. */
export function asAttemptRow(r: FirstAttemptRow): AttemptRow | null {
  if (r.startedAt === null) return null;
  return {
    id: firstAttemptId(r.deliveryId),
    deliveryId: r.deliveryId,
    tenantId: r.tenantId,
    endpointId: r.endpointId,
    eventId: r.eventId,
    number: 1,
    trigger: "scheduled",
    url: r.url ?? "",
    startedAt: r.startedAt,
    durationMs: r.durationMs ?? 0,
    statusCode: r.statusCode,
    responseBody: r.responseBody,
    error: r.error,
    errorDetail: r.errorDetail,
    requestHeaders: r.requestHeaders ?? {},
  };
}

/**
 * What is stored of attempt `a` of a delivery of event `eventId`, wherever it goes: url, started_at,
 * duration_ms, status_code, response_body, error, error_detail and request_headers, in that order.
 */
export function storedAttempt(a: AttemptResult, eventId: string): unknown[] {
  return [
    a.url,
    a.startedAt,
    a.durationMs,
    a.statusCode,
    a.responseBody,
    a.error,
    a.errorDetail,
    JSON.stringify(headersToStore(a.requestHeaders, { eventId, number: a.number, startedAt: a.startedAt })),
  ];
}

/** SET assignments that write attempt `a` of a delivery of event `eventId` into the delivery's row. */
export function firstAttemptAssignments(a: AttemptResult, eventId: string): { sql: string; params: unknown[] } {
  return {
    sql: "first_url = ?, first_started_at = ?, first_duration_ms = ?, first_status_code = ?, first_response_body = ?, first_error = ?, first_error_detail = ?, first_request_headers = ?",
    params: storedAttempt(a, eventId),
  };
}
