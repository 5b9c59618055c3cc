/**
 * Which attempts belong to a delivery. The delivery row lists its attempts' ids (`attempt_ids`, a
 * JSON array) and the same UPDATE that records an outcome appends to it, so an attempt needs no
 * index row by delivery: one row written less per attempt, and the index's bytes. A log that
 * already held attempts when it met this version keeps its `attempts_delivery` index and reads
 * through it (it finds old and new attempts alike); a log that starts empty drops the index.
 */
import { type SQL, sql } from "drizzle-orm";
import { attempts } from "./schema";

/**
 * The most attempt ids a delivery row lists (~32 KB of its 2 MB row bound): the newest are kept.
 * The ladder makes at most a dozen; only manual retries, recovers and replays could pass it, and
 * an older attempt beyond it stays readable by id and in the attempts list.
 */
export const ATTEMPT_IDS_PER_DELIVERY = 1000;

/**
 * Drops the index of attempts by delivery in a log with no attempt yet (a new segment, or one
 * wiped), where the delivery rows will list every attempt. Answers whether the log keeps it.
 */
export function settleAttemptsIndex(sql: SqlStorage): boolean {
  const any = sql.exec("SELECT 1 FROM attempts LIMIT 1").toArray().length > 0;
  if (!any) sql.exec("DROP INDEX IF EXISTS attempts_delivery");
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'attempts_delivery'").toArray().length > 0
  );
}

/** SET clause fragment: appends one attempt id (one bound parameter) to the delivery's list. */
export const APPEND_ATTEMPT_ID = `attempt_ids = (SELECT CASE WHEN json_array_length(l) > ${ATTEMPT_IDS_PER_DELIVERY} THEN json_remove(l, '$[0]') ELSE l END FROM (SELECT json_insert(COALESCE(attempt_ids, '[]'), '$[#]', ?) AS l))`;

/** Condition on `attempts`: the attempt belongs to delivery `id` (by the index, or by the delivery's list). */
export function ofDelivery(id: string, byIndex: boolean): SQL {
  return byIndex
    ? sql`${attempts.deliveryId} = ${id}`
    : sql`${attempts.deliveryId} = ${id} AND ${attempts.id} IN (SELECT value FROM json_each((SELECT attempt_ids FROM deliveries WHERE id = ${id})))`;
}
