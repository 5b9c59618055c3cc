/**
 * The sweep of one tenant's log, run by the sweep queue's consumer when that log's alarm found
 * something half-done (src/domain/sweep.ts): whatever a failure left is driven again.
 * - events whose fan-out never ran (the isolate died between the write and the queue send, or
 *   the message was dead-lettered) are queued again; fan-out is idempotent;
 * - deliveries still `pending` long after they were written (their hand-off to the dispatcher
 *   failed) are handed again; dispatchers de-duplicate by delivery id;
 * - recover and replay tasks whose hand-out stopped resume after their cursor;
 * - dead-lettered fan-out/resend/operational messages are queued again, at most MAX_AUTO_REDRIVES
 *   times each (then an operator re-drives them by hand: routes/dead-letters).
 * Every step takes at most its share of SWEEP_LIMITS, so one sweep makes at most
 * SUBREQUESTS_PER_SWEEP subrequests whatever the backlog; what is left waits for the next run.
 */
import { fanoutMessages } from "../domain/queue-messages";
import { MAX_AUTO_REDRIVES, SWEEP_LIMITS } from "../domain/sweep";
import type { ServiceCtx } from "../services/context";
import { redriveDeadLetters } from "../services/dead-letters";
import { activeEndpoints, handOff } from "../services/events/fanout";
import { resumeStalledTask } from "../services/tasks";
import { endpointOwnerOf, logNameOf, tenantLogFor } from "../tenant-log/client";
import type { FanoutPlan } from "../tenant-log/types";

interface SweepResult {
  requeued: number;
  rehanded: number;
  tasks: number;
  redriven: number;
}

/** Sweeps one log: `tenantId` is a tenant id, or an operator log's name (src/tenant-log/client.ts). */
export async function sweepTenant(ctx: ServiceCtx, tenantId: string, now: number): Promise<SweepResult> {
  const tenantLog = tenantLogFor(ctx.env, tenantId);
  const before = now - ctx.config.sweepGraceMs;
  const unfanned = await tenantLog.unfanned(before, SWEEP_LIMITS.unfanned);
  if (unfanned.length) {
    // The message names the log, not the segment (the event ids name it), so it stays within the schema.
    await ctx.env.EVENTS_QUEUE.sendBatch(
      fanoutMessages(logNameOf(tenantId), unfanned).map((body) => ({ body, contentType: "json" as const })),
    );
  }
  // Held deliveries of a disabled endpoint stay held: only active endpoints get theirs again.
  const active = new Map((await activeEndpoints(ctx, endpointOwnerOf(tenantId))).map((e) => [e.id, e]));
  const orphans = firstEndpoints(
    await tenantLog.orphans(before, SWEEP_LIMITS.orphans, [...active.keys()]),
    SWEEP_LIMITS.handOffEndpoints,
  );
  if (orphans.deliveries.length) await handOff(ctx, orphans, active);
  const stalled = await tenantLog.stalledTasks(before, SWEEP_LIMITS.tasks);
  for (const taskId of stalled) await resumeStalledTask(ctx, tenantId, taskId, SWEEP_LIMITS.taskPages);
  const redriven = await redriveDeadLetters(ctx, tenantId, {
    maxRedrives: MAX_AUTO_REDRIVES,
    limit: SWEEP_LIMITS.deadLetters,
  });
  return { requeued: unfanned.length, rehanded: orphans.deliveries.length, tasks: stalled.length, redriven };
}

/** The plan's deliveries of its first `n` endpoints (one dispatcher call each); the rest wait for the next run. */
function firstEndpoints(plan: FanoutPlan, n: number): FanoutPlan {
  const kept = new Set<string>();
  const deliveries = plan.deliveries.filter((d) => {
    if (!kept.has(d.endpointId) && kept.size < n) kept.add(d.endpointId);
    return kept.has(d.endpointId);
  });
  const eventIds = new Set(deliveries.map((d) => d.eventId));
  return { events: plan.events.filter((e) => eventIds.has(e.id)), deliveries };
}
