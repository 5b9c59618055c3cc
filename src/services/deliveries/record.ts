/**
 * Writes attempt results and delivery state changes to D1 in one batch (one round trip, atomic),
 * never one write per row.
 */
import { and, eq, inArray, notInArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { attempts, deliveries, type DeliveryStatus } from "../../db/schema";
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

export async function recordChanges(db: Db, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  const statements: BatchItem<"sqlite">[] = [];
  // Attempts as multi-row INSERTs: 15 columns a row, 6 rows keep under D1's 100 bound parameters.
  const attemptRows = changes.flatMap((ch) => (ch.attempt ? [attemptRow(ch.delivery, ch.attempt)] : []));
  for (let i = 0; i < attemptRows.length; i += ATTEMPTS_PER_INSERT) {
    statements.push(db.insert(attempts).values(attemptRows.slice(i, i + ATTEMPTS_PER_INSERT)).onConflictDoNothing());
  }
  for (const ch of changes) {
    const set: Partial<typeof deliveries.$inferInsert> = { updatedAt: now };
    if (ch.status) set.status = ch.status;
    if (ch.attemptCount !== undefined) set.attemptCount = ch.attemptCount;
    if (ch.nextAttemptAt !== undefined) set.nextAttemptAt = ch.nextAttemptAt;
    if (ch.attempt) {
      set.lastAttemptAt = ch.attempt.startedAt;
      set.lastStatusCode = ch.attempt.statusCode;
      set.lastError = ch.attempt.error;
    }
    // Nothing but a manual success may move a delivery out of a final state (a late outcome of an
    // attempt that raced a cancel must not resurrect it).
    const where = ch.force || !ch.status ? eq(deliveries.id, ch.delivery.id) : and(eq(deliveries.id, ch.delivery.id), notInArray(deliveries.status, FINAL));
    statements.push(db.update(deliveries).set(set).where(where));
  }
  statements.push(...rollupStatements(db, rollup(changes, now)));
  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
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
