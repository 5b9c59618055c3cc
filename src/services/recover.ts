/**
 * Recover: re-queue every failed delivery of an endpoint in a time window, for when a customer's
 * server was down. The deliveries go back to their endpoint's dispatcher, which paces them by the
 * endpoint's rate limit and in-flight cap; the task counts how many have finished since.
 * Each recovered delivery gets one more attempt (its ladder is already spent).
 *
 * Resumable: the task lives in the tenant's TenantLog with a cursor. Pages of at most PAGE
 * deliveries, bounded in bytes too (payloads ride along only while they fit; the dispatcher loads
 * the rest by id: src/tenant-log/handoff-page.ts), are handed to the dispatcher first and marked in the
 * log only after it took them; a run that stops anywhere (a failed hand-off, a dead isolate)
 * leaves the rest `failed` and the sweep (its TenantLog's alarm) resumes the task after its cursor.
 * Starting one is rate-limited per tenant (API and portal alike); resuming one is not.
 */
import { eq } from "drizzle-orm";
import { type EndpointRow, snapshotOf } from "../attempts/endpoint-snapshot";
import { newId } from "../db/ids";
import { taskOwners } from "../db/schema";
import { dispatcherFor } from "../dispatcher/client";
import { ApiError, notFound } from "../errors";
import { errorFields, log } from "../lib/log";
import { iso } from "../lib/time";
import { endpointOwnerOf, tenantLogFor } from "../tenant-log/client";
import { createTaskAcross, getTaskAcross, taskSegments } from "../tenant-log/log-segments";
import type { TenantLog } from "../tenant-log/tenant-log";
import type { TaskRow } from "../tenant-log/types";
import type { ServiceCtx } from "./context";
import { getEndpoint } from "./endpoints";
import { limitTenantAction } from "./tenant-action-limit";

/** A single recover call handles at most this many deliveries; call again for the rest. */
const MAX_RECOVER = 10_000;
/** Deliveries per hand-off at most; a page of large events holds fewer (bounded in bytes by the TenantLog). */
const PAGE = 90;

export async function recoverEndpoint(
  ctx: ServiceCtx,
  tenantId: string,
  endpointId: string,
  window: { since: number; until?: number },
) {
  await limitTenantAction(ctx.env, tenantId, "recover");
  const endpoint = await getEndpoint(ctx, tenantId, endpointId);
  const now = Date.now();
  const until = window.until ?? now;
  if (until < window.since)
    throw new ApiError("bad_request", "until must not be before since", [{ path: "until", message: "before since" }]);
  const id = newId("task", now);
  // The owner row first: a task the API cannot find must never exist.
  await ctx.db.insert(taskOwners).values({ id, tenantId });
  const task = await createTaskAcross(
    ctx.env,
    tenantId,
    {
      id,
      tenantId,
      endpointId: endpoint.id,
      kind: "recover",
      params: { since: iso(window.since), until: iso(until) },
      createdAt: now,
      windowSince: window.since,
      windowUntil: until,
      updatedAt: now,
    },
    MAX_RECOVER,
  );
  await runTask(ctx, tenantId, task.id, endpoint).catch((err) =>
    log.warn("recover hand-off stopped; the sweeper resumes it", {
      task_id: task.id,
      tenant_id: tenantId,
      ...errorFields(err),
    }),
  );
  return taskView(task, 0);
}

/**
 * Hands a task's remaining deliveries to the dispatcher, page by page, from its cursor; at most
 * `maxPages` pages (the sweep's bound), the rest from the cursor on the next run.
 */
/** Runs a task in each segment of the tenant's log in turn (each holds the task over its own deliveries). */
async function runTask(
  ctx: ServiceCtx,
  tenantId: string,
  taskId: string,
  known?: EndpointRow,
  maxPages = Number.POSITIVE_INFINITY,
) {
  let pages = 0;
  for (const tenantLog of await taskSegments(ctx.env, tenantId)) {
    if (pages >= maxPages) return;
    pages += await runTaskIn(ctx, tenantLog, tenantId, taskId, known, maxPages - pages);
  }
}

/** The sweep's resume of a task stalled in one log object (named as its sweep message names it), there only. */
export async function resumeTask(ctx: ServiceCtx, objectName: string, taskId: string, maxPages: number) {
  await runTaskIn(ctx, tenantLogFor(ctx.env, objectName), endpointOwnerOf(objectName), taskId, undefined, maxPages);
}

/** Runs a task in one segment for at most `maxPages` pages; answers the pages it took. */
async function runTaskIn(
  ctx: ServiceCtx,
  tenantLog: DurableObjectStub<TenantLog>,
  tenantId: string,
  taskId: string,
  known: EndpointRow | undefined,
  maxPages: number,
): Promise<number> {
  let endpoint = known;
  let pages = 0;
  for (; pages < maxPages; pages++) {
    const page = await tenantLog.taskPage(taskId, PAGE);
    if (!page || page.task.handedOutAt !== null) return pages;
    endpoint ??= (await getEndpoint(ctx, tenantId, page.task.endpointId).catch(() => undefined)) ?? undefined;
    if (!endpoint) {
      // The endpoint was deleted: nothing more can be sent, so the task closes with what it handed.
      await tenantLog.taskHanded(taskId, [], null, true, Date.now());
      return pages + 1;
    }
    if (page.items.length) {
      await dispatcherFor(ctx.env, endpoint.id).enqueue(
        snapshotOf(endpoint),
        page.items.map((i) => ({
          deliveryId: i.deliveryId,
          tenantId,
          eventId: i.event.id,
          eventType: i.event.type,
          eventCreatedAt: i.event.createdAt,
          payload: i.event.payload,
          orderingKey: i.event.orderingKey,
          deliverAt: null,
          expiresAt: null,
          attempts: i.attemptCount,
          trigger: "recover" as const,
          traceId: i.event.traceId ?? null,
          traceFlags: i.event.traceFlags ?? null,
          lane: i.lane,
        })),
      );
    }
    const handed = page.items.map((i) => ({ deliveryId: i.deliveryId, attemptCount: i.attemptCount }));
    await tenantLog.taskHanded(taskId, handed, page.items.at(-1)?.deliveryId ?? null, page.last, Date.now());
    if (page.last) return pages + 1;
  }
  return pages;
}

export async function getTask(ctx: ServiceCtx, taskId: string, tenantFilter: string | null) {
  const owner = await ctx.db.select().from(taskOwners).where(eq(taskOwners.id, taskId)).get();
  if (!owner || (tenantFilter !== null && owner.tenantId !== tenantFilter)) throw notFound("task");
  const found = await getTaskAcross(ctx.env, owner.tenantId, taskId);
  if (!found) throw notFound("task");
  return { task: found.task, view: taskView(found.task, found.done) };
}

export function taskView(task: TaskRow, done: number) {
  return {
    id: task.id,
    kind: task.kind,
    tenant_id: task.tenantId,
    endpoint_id: task.endpointId === "" ? null : task.endpointId,
    status:
      task.cancelledAt !== null
        ? ("cancelled" as const)
        : done >= task.total
          ? ("completed" as const)
          : ("running" as const),
    total: task.total,
    done: Math.min(done, task.total),
    params: task.params,
    created_at: iso(task.createdAt),
  };
}
