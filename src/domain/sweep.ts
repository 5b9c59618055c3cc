/**
 * The sweep's contract. There is no global sweep loop: each TenantLog's alarm asks its own SQLite
 * (no subrequest) whether anything of its tenant is half-done and, only then, queues one
 * SweepMessage naming that log; the sweep queue's consumer sweeps it with a bounded number of
 * subrequests (src/jobs/sweep.ts). So the work of a sweep grows with one tenant's backlog, never
 * with the number of tenants, and an idle tenant costs nothing.
 */
import { z } from "zod";
import { SUBREQUESTS_PER_INVOCATION } from "../lib/platform-limits";

/** The queue the TenantLogs' alarms send to and src/queue/sweep-consumer.ts consumes (wrangler.toml). */
export const SWEEP_QUEUE = "edgehooks-sweep";

/** Sweep the TenantLog named `tenant_id` (a tenant id, or an operator log's name). */
export const SweepMessage = z.object({
  v: z.literal(1),
  kind: z.literal("sweep"),
  tenant_id: z.string().min(1),
});
export type SweepMessage = z.infer<typeof SweepMessage>;

export const sweepMessage = (tenantId: string): SweepMessage => ({ v: 1, kind: "sweep", tenant_id: tenantId });

/** Dead letters are queued again by the sweep at most this many times each; then by hand. */
export const MAX_AUTO_REDRIVES = 3;

/** Workers' documented cap on the subrequests of one invocation (src/lib/platform-limits.ts). */
export { SUBREQUESTS_PER_INVOCATION };

/** What one tenant's sweep may take per run; the rest waits for its next run (the alarm comes back while any is left). */
export const SWEEP_LIMITS = {
  /** Events re-queued for fan-out: five messages of 100 ids, sent in one sendBatch (a few KB). */
  unfanned: 500,
  /** Pending deliveries looked at for a new hand-off. */
  orphans: 500,
  /**
   * Dispatchers those are handed to: one call each. A tenant with 1,000 endpoints whose hand-offs
   * failed is handed again in 10 sweeps; 100 calls keep a sweep at ~150 subrequests.
   */
  handOffEndpoints: 100,
  /** Stalled recover and replay tasks resumed, and pages per task (TASK_PAGE_SUBREQUESTS each at most). */
  tasks: 2,
  taskPages: 3,
  /** Dead letters queued again: one send each (a dead letter's body can be up to a queue message, 128 KB). */
  deadLetters: 20,
} as const;

/**
 * Subrequests one task page makes at most: a recover page reads, hands to its one endpoint and
 * marks (3); a replay page (src/services/replays.ts, REPLAY_PAGE deliveries) reads, hands to each
 * endpoint it names (at most 90) and checks for a cancel.
 */
export const TASK_PAGE_SUBREQUESTS = 92;

/** The subrequests one tenant's sweep makes at most, step by step (src/jobs/sweep.ts). */
export const SUBREQUESTS_PER_SWEEP =
  2 + // unfanned: the question, one sendBatch
  2 + // active endpoints (D1), the orphans question
  SWEEP_LIMITS.handOffEndpoints +
  1 + // the stalled-tasks question
  SWEEP_LIMITS.tasks * (2 + SWEEP_LIMITS.taskPages * TASK_PAGE_SUBREQUESTS) + // the task's kind, its endpoints (D1); its pages
  2 + // dead letters: the list, the mark
  SWEEP_LIMITS.deadLetters;

/**
 * Sweep messages one consumer invocation takes (the sweep queue's max_batch_size in wrangler.toml):
 * as many as fit under the per-invocation cap with room to spare.
 */
export const SWEEPS_PER_INVOCATION = 10;

/** What one invocation of the sweep consumer makes at most. */
export const SUBREQUESTS_PER_SWEEP_INVOCATION = SWEEPS_PER_INVOCATION * SUBREQUESTS_PER_SWEEP;

// Checked where the numbers are: a change that breaks the bound fails at load, in every test.
if (SUBREQUESTS_PER_SWEEP_INVOCATION > SUBREQUESTS_PER_INVOCATION)
  throw new Error("sweep bounds exceed the per-invocation subrequest cap");
