/**
 * The fan-out sweeper: an event that was written but whose fan-out message never arrived (the
 * isolate died between the D1 write and the queue send, or the message was dead-lettered) is
 * queued again. Fan-out is idempotent, so a late original message adds nothing.
 */
import { and, isNull, lt } from "drizzle-orm";
import { events } from "../db/schema";
import { fanoutMessage } from "../queue/messages";
import type { ServiceCtx } from "../services/context";

export const SWEEP_GRACE_MS = 2 * 60_000;

export async function sweepUnfannedEvents(ctx: ServiceCtx, now: number, limit = 500): Promise<number> {
  const rows = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(and(isNull(events.fannedOutAt), lt(events.createdAt, now - SWEEP_GRACE_MS)))
    .limit(limit)
    .all();
  for (let i = 0; i < rows.length; i += 100) {
    await ctx.env.EVENTS_QUEUE.sendBatch(rows.slice(i, i + 100).map((r) => ({ body: fanoutMessage(r.tenantId, [r.id]), contentType: "json" as const })));
  }
  return rows.length;
}
