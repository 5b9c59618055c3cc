/**
 * The sweeper (cron, every 5 min), per tenant: whatever a failure left half-done is driven again.
 * - events whose fan-out never ran (the isolate died between the write and the queue send, or
 *   the message was dead-lettered) are queued again; fan-out is idempotent;
 * - deliveries still `pending` long after they were written (their hand-off to the dispatcher
 *   failed) are handed again; dispatchers de-duplicate by delivery id;
 * - recover tasks whose hand-out stopped resume after their cursor;
 * - dead-lettered fan-out/resend/operational messages are queued again, at most MAX_AUTO_REDRIVES
 *   times each (then an operator re-drives them by hand: routes/dead-letters).
 * Every step is bounded per tenant and run, so one tenant's backlog cannot stretch the sweep.
 */
import { asc, gt } from "drizzle-orm";
import { tenants } from "../db/schema";
import { errorFields, log } from "../lib/log";
import { fanoutMessage } from "../domain/queue-messages";
import type { ServiceCtx } from "../services/context";
import { redriveDeadLetters } from "../services/dead-letters";
import { activeEndpoints, handOff } from "../services/events/fanout";
import { OPERATOR_TENANT } from "../domain/operational";
import { runTask } from "../services/recover";
import { tenantLogFor } from "../tenant-log/client";

export const MAX_AUTO_REDRIVES = 3;
const PER_TENANT = 500;
const TASKS_PER_TENANT = 20;
const CONCURRENCY = 10;

export interface SweepResult {
  requeued: number;
  rehanded: number;
  tasks: number;
  redriven: number;
}

export async function sweepTenant(ctx: ServiceCtx, tenantId: string, now: number): Promise<SweepResult> {
  const tenantLog = tenantLogFor(ctx.env, tenantId);
  const before = now - ctx.config.sweepGraceMs;
  const unfanned = await tenantLog.unfanned(before, PER_TENANT);
  for (let i = 0; i < unfanned.length; i += 100) {
    await ctx.env.EVENTS_QUEUE.send(fanoutMessage(tenantId, unfanned.slice(i, i + 100)), { contentType: "json" });
  }
  // Held deliveries of a disabled endpoint stay held: only active endpoints get theirs again.
  const active = new Map((await activeEndpoints(ctx, tenantId)).map((e) => [e.id, e]));
  const orphans = await tenantLog.orphans(before, PER_TENANT, [...active.keys()]);
  if (orphans.deliveries.length) await handOff(ctx, orphans, active);
  const rehanded = orphans.deliveries.length;
  const stalled = await tenantLog.stalledTasks(before, TASKS_PER_TENANT);
  for (const taskId of stalled) await runTask(ctx, tenantId, taskId);
  const redriven = await redriveDeadLetters(ctx, tenantId, { maxRedrives: MAX_AUTO_REDRIVES, limit: PER_TENANT });
  return { requeued: unfanned.length, rehanded, tasks: stalled.length, redriven };
}

/** Sweeps every tenant, a few at a time; one tenant's failure is logged and does not stop the rest. */
export async function sweepAll(ctx: ServiceCtx, now: number): Promise<SweepResult & { tenants: number; failed: number }> {
  const total: SweepResult & { tenants: number; failed: number } = { requeued: 0, rehanded: 0, tasks: 0, redriven: 0, tenants: 0, failed: 0 };
  let after = "";
  let sawOperator = false;
  for (;;) {
    const ids = (await ctx.db.select({ id: tenants.id }).from(tenants).where(gt(tenants.id, after)).orderBy(asc(tenants.id)).limit(100).all()).map((t) => t.id);
    if (!ids.length) {
      // The operator's log keeps dead letters of no tenant, even before `_operator` exists in D1.
      if (!sawOperator) await sweepTenant(ctx, OPERATOR_TENANT, now).catch((err) => log.error("sweep failed for the operator", { ...errorFields(err) }));
      return total;
    }
    sawOperator ||= ids.includes(OPERATOR_TENANT);
    after = ids[ids.length - 1]!;
    for (let i = 0; i < ids.length; i += CONCURRENCY) {
      const results = await Promise.allSettled(ids.slice(i, i + CONCURRENCY).map((id) => sweepTenant(ctx, id, now)));
      results.forEach((r, k) => {
        total.tenants++;
        if (r.status === "rejected") {
          total.failed++;
          log.error("sweep failed for a tenant", { tenant_id: ids[i + k], error: String(r.reason) });
          return;
        }
        total.requeued += r.value.requeued;
        total.rehanded += r.value.rehanded;
        total.tasks += r.value.tasks;
        total.redriven += r.value.redriven;
      });
    }
  }
}
