/**
 * Recover: re-queue every failed delivery of an endpoint in a time window, for when a customer's
 * server was down. The deliveries go back to their endpoint's dispatcher, which paces them by the
 * endpoint's rate limit and in-flight cap; the task counts how many have finished since.
 * Each recovered delivery gets one more attempt (its ladder is already spent).
 */
import { and, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { newId } from "../db/ids";
import { deliveries, events, tasks } from "../db/schema";
import type { EnqueueItem } from "../dispatcher/endpoint-dispatcher";
import { ApiError, notFound } from "../errors";
import { iso } from "../http/time";
import type { ServiceCtx } from "./context";
import { dispatcherFor, getEndpoint } from "./endpoints";

/** A single recover call handles at most this many deliveries; call again for the rest. */
export const MAX_RECOVER = 10_000;
const PAGE = 90;

export type TaskRow = typeof tasks.$inferSelect;

export async function recoverEndpoint(ctx: ServiceCtx, tenantId: string, endpointId: string, window: { since: number; until?: number }) {
  const endpoint = await getEndpoint(ctx, tenantId, endpointId);
  const now = Date.now();
  const until = window.until ?? now;
  if (until < window.since) throw new ApiError("bad_request", "until must not be before since", [{ path: "until", message: "before since" }]);
  const failed = await ctx.db
    .select({ id: deliveries.id, eventId: deliveries.eventId, attemptCount: deliveries.attemptCount })
    .from(deliveries)
    .where(and(eq(deliveries.endpointId, endpoint.id), eq(deliveries.status, "failed"), gte(deliveries.createdAt, window.since), lte(deliveries.createdAt, until)))
    .limit(MAX_RECOVER)
    .all();
  // Only deliveries whose event is still stored can be sent again (retention may have purged
  // the payload); the task counts those, so its `done` can reach its `total`.
  const items: EnqueueItem[] = [];
  for (let i = 0; i < failed.length; i += PAGE) {
    const chunk = failed.slice(i, i + PAGE);
    const eventRows = await ctx.db.select().from(events).where(inArray(events.id, [...new Set(chunk.map((d) => d.eventId))])).all();
    const byId = new Map(eventRows.map((e) => [e.id, e]));
    for (const d of chunk) {
      const e = byId.get(d.eventId);
      if (!e) continue;
      items.push({
        deliveryId: d.id,
        tenantId,
        eventId: e.id,
        eventType: e.type,
        eventCreatedAt: e.createdAt,
        payload: e.payload,
        orderingKey: e.orderingKey,
        deliverAt: null,
        expiresAt: null,
        attempts: d.attemptCount,
        trigger: "recover",
      });
    }
  }
  const task: TaskRow = {
    id: newId("task", now),
    tenantId,
    endpointId: endpoint.id,
    kind: "recover",
    params: { since: iso(window.since), until: iso(until) },
    total: items.length,
    createdAt: now,
  };
  await ctx.db.insert(tasks).values(task);
  const stub = dispatcherFor(ctx.env, endpoint.id);
  for (let i = 0; i < items.length; i += PAGE) {
    const chunk = items.slice(i, i + PAGE);
    await ctx.db
      .update(deliveries)
      .set({ status: "pending_retry", taskId: task.id, nextAttemptAt: now, updatedAt: now })
      .where(and(inArray(deliveries.id, chunk.map((c) => c.deliveryId)), eq(deliveries.status, "failed")));
    await stub.enqueue(endpoint, chunk);
  }
  return taskView(task, 0);
}

export async function getTask(ctx: ServiceCtx, taskId: string, tenantFilter: string | null) {
  const task = await ctx.db.select().from(tasks).where(eq(tasks.id, taskId)).get();
  if (!task || (tenantFilter !== null && task.tenantId !== tenantFilter)) throw notFound("task");
  const done = await ctx.db
    .select({ n: sql<number>`count(*)` })
    .from(deliveries)
    .where(and(eq(deliveries.taskId, task.id), inArray(deliveries.status, ["succeeded", "failed", "cancelled"])))
    .get();
  return { task, view: taskView(task, done?.n ?? 0) };
}

export function taskView(task: TaskRow, done: number) {
  return {
    id: task.id,
    kind: task.kind,
    tenant_id: task.tenantId,
    endpoint_id: task.endpointId,
    status: done >= task.total ? ("completed" as const) : ("running" as const),
    total: task.total,
    done: Math.min(done, task.total),
    params: task.params,
    created_at: iso(task.createdAt),
  };
}
