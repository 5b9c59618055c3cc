/**
 * Verbs on tasks of any kind (recover, replay): cancel one, and resume one the sweep found stalled.
 * Cancel answers only once nothing of the task can be sent any more: every segment stops handing
 * it out and marks its unfinished deliveries `cancelled`, and each dispatcher holding some drops
 * them (one call per endpoint).
 */
import { eq } from "drizzle-orm";
import { taskOwners } from "../db/schema";
import { notFound } from "../errors";
import { tenantLogFor } from "../tenant-log/client";
import { getTaskAcross, taskSegments } from "../tenant-log/log-segments";
import type { ServiceCtx } from "./context";
import { resumeTask, taskView } from "./recover";
import { resumeReplay } from "./replays";
import { withdrawDeliveries } from "./task-withdraw";

/** POST /v1/tasks/{id}/cancel. `tenantFilter`: the caller's tenant (null: any), as GET /v1/tasks/{id} checks it. */
export async function cancelTask(ctx: ServiceCtx, taskId: string, tenantFilter: string | null) {
  const owner = await ctx.db.select().from(taskOwners).where(eq(taskOwners.id, taskId)).get();
  if (!owner || (tenantFilter !== null && owner.tenantId !== tenantFilter)) throw notFound("task");
  // A task that finished (or was cancelled) already is answered as it is: nothing is left to stop.
  const before = await getTaskAcross(ctx.env, owner.tenantId, taskId);
  if (!before) throw notFound("task");
  const view = taskView(before.task, before.done);
  if (view.status !== "running") return view;
  const now = Date.now();
  const open: { id: string; endpointId: string }[] = [];
  for (const tenantLog of await taskSegments(ctx.env, owner.tenantId))
    open.push(...((await tenantLog.cancelTask(taskId, now)) ?? []));
  await withdrawDeliveries(ctx, open);
  const found = await getTaskAcross(ctx.env, owner.tenantId, taskId);
  if (!found) throw notFound("task");
  return taskView(found.task, found.done);
}

/** The sweep's resume of a stalled task, whatever its kind, in the one log object the sweep names. */
export async function resumeStalledTask(ctx: ServiceCtx, objectName: string, taskId: string, maxPages: number) {
  const found = await tenantLogFor(ctx.env, objectName).getTask(taskId);
  if (!found) return;
  if (found.task.kind === "replay") return resumeReplay(ctx, objectName, taskId, found.task.params, maxPages);
  return resumeTask(ctx, objectName, taskId, maxPages);
}
