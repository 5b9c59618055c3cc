/**
 * Whether an event had its fan-out. The fan-out writes an event's deliveries whole, in one
 * transaction, so a delivery of its own fan-out (origin '') already says it happened; the
 * `fanned_out_at` mark is written only where nothing else says it: an event that matched no
 * endpoint, and a keyed one (its lane index, events_lane_unfanned, is left by the mark). That
 * saves a row written on nearly every event.
 */
import { eventParams, ofEventSql } from "./event-deliveries";

/** SQL: event alias `e` had its fan-out (its deliveries found as ./event-deliveries.ts says; `byIndex`: the log's way). */
export const fannedOut = (e: string, byIndex: boolean) =>
  `(${e}.fanned_out_at IS NOT NULL OR EXISTS (SELECT 1 FROM deliveries fo WHERE ${ofEventSql("fo", `${e}.id`, byIndex, true)}))`;

/** When an event's fan-out happened: its mark, or the time of the first delivery its fan-out wrote. */
export function fannedOutAt(
  sql: SqlStorage,
  event: { id: string; fannedOutAt: number | null },
  byIndex: boolean,
): number | null {
  if (event.fannedOutAt !== null) return event.fannedOutAt;
  return sql
    .exec<{ t: number | null }>(
      `SELECT MIN(created_at) AS t FROM deliveries d WHERE ${ofEventSql("d", "?", byIndex, true)}`,
      ...eventParams(event.id, byIndex, true),
    )
    .one().t;
}

/** The fan-out marks an event only where no delivery of its own says it was fanned out. */
export const needsFanOutMark = (event: { orderingKey: string | null }, deliveriesWritten: number) =>
  event.orderingKey !== null || deliveriesWritten === 0;
