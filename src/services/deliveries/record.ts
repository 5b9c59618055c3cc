/**
 * Writes attempt results and delivery state changes to D1 in one batch (one round trip, atomic),
 * never one write per row.
 */
import { and, inArray, notInArray } from "drizzle-orm";
import type { Db } from "../../db/client";
import { deliveries, type DeliveryStatus } from "../../db/schema";
import type { AttemptResult } from "./send-attempt";
import { rollup, rollupStatements } from "./stats-rollup";

export interface DeliveryRef {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
}

export interface DeliveryChange {
  delivery: DeliveryRef;
  attempt?: AttemptResult;
  /** The new status; absent to leave it as it is (a manual attempt that failed). */
  status?: DeliveryStatus;
  /** A manual success may finish a delivery in any state (failed, cancelled). */
  force?: boolean;
  attemptCount?: number;
  nextAttemptAt?: number | null;
}

const FINAL: DeliveryStatus[] = ["succeeded", "failed", "cancelled"];
const ATTEMPTS_PER_INSERT = 6;

export function attemptRow(delivery: DeliveryRef, a: AttemptResult) {
  return {
    id: a.id,
    deliveryId: delivery.id,
    tenantId: delivery.tenantId,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    number: a.number,
    trigger: a.trigger,
    url: a.url,
    startedAt: a.startedAt,
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    responseBody: a.responseBody,
    error: a.error,
    errorDetail: a.errorDetail,
    requestHeaders: a.requestHeaders,
  };
}

const ATTEMPT_COLUMNS = "id, delivery_id, tenant_id, endpoint_id, event_id, number, trigger, url, started_at, duration_ms, status_code, response_body, error, error_detail, request_headers";
const FINAL_SQL = FINAL.map((s) => `'${s}'`).join(", ");

function attemptValues(delivery: DeliveryRef, a: AttemptResult): unknown[] {
  const r = attemptRow(delivery, a);
  return [r.id, r.deliveryId, r.tenantId, r.endpointId, r.eventId, r.number, r.trigger, r.url, r.startedAt, r.durationMs, r.statusCode, r.responseBody, r.error, r.errorDetail, JSON.stringify(r.requestHeaders)];
}

function deliveryUpdate(d1: D1Database, ch: DeliveryChange, now: number): D1PreparedStatement {
  const set: [string, unknown][] = [["updated_at", now]];
  if (ch.status) set.push(["status", ch.status]);
  if (ch.attemptCount !== undefined) set.push(["attempt_count", ch.attemptCount]);
  if (ch.nextAttemptAt !== undefined) set.push(["next_attempt_at", ch.nextAttemptAt]);
  if (ch.attempt) set.push(["last_attempt_at", ch.attempt.startedAt], ["last_status_code", ch.attempt.statusCode], ["last_error", ch.attempt.error]);
  // Nothing but a manual success may move a delivery out of a final state (a late outcome of an
  // attempt that raced a cancel must not resurrect it).
  const guard = ch.force || !ch.status ? "" : ` AND status NOT IN (${FINAL_SQL})`;
  return d1.prepare(`UPDATE deliveries SET ${set.map(([c]) => `${c} = ?`).join(", ")} WHERE id = ?${guard}`).bind(...set.map(([, v]) => v), ch.delivery.id);
}

/**
 * Attempts, delivery states and stats roll-ups in one D1 batch. Prepared statements rather than
 * the query builder: this runs on every outbox flush, and building queries was a tenth of the
 * dispatcher's CPU under load.
 */
export async function recordChanges(d1: D1Database, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  const statements: D1PreparedStatement[] = [];
  // Attempts as multi-row INSERTs: 15 columns a row, 6 rows keep under D1's 100 bound parameters.
  const attemptRows = changes.flatMap((ch) => (ch.attempt ? [attemptValues(ch.delivery, ch.attempt)] : []));
  for (let i = 0; i < attemptRows.length; i += ATTEMPTS_PER_INSERT) {
    const chunk = attemptRows.slice(i, i + ATTEMPTS_PER_INSERT);
    const tuples = chunk.map(() => `(${Array(15).fill("?").join(", ")})`).join(", ");
    statements.push(d1.prepare(`INSERT OR IGNORE INTO attempts (${ATTEMPT_COLUMNS}) VALUES ${tuples}`).bind(...chunk.flat()));
  }
  for (const ch of changes) statements.push(deliveryUpdate(d1, ch, now));
  statements.push(...rollupStatements(d1, rollup(changes, now)));
  await d1.batch(statements);
}

export async function markStatus(db: Db, ids: string[], status: DeliveryStatus, now: number) {
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    await db
      .update(deliveries)
      .set({ status, updatedAt: now, nextAttemptAt: null })
      .where(and(inArray(deliveries.id, chunk), notInArray(deliveries.status, FINAL)));
  }
}
