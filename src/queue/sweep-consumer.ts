/**
 * The sweep queue's consumer: each message names one TenantLog whose alarm found something
 * half-done, and is swept with at most SUBREQUESTS_PER_SWEEP subrequests. A batch holds at most
 * SWEEPS_PER_INVOCATION messages (the queue's max_batch_size), swept one after the other, so one
 * invocation stays under the platform's subrequest cap whatever the number of tenants. A sweep
 * that fails is retried; a message that is lost costs nothing, as the log's alarm asks again
 * while anything is left.
 */
import { SWEEPS_PER_INVOCATION, SweepMessage } from "../domain/sweep";
import { sweepTenant } from "../jobs/sweep";
import { errorFields, log } from "../lib/log";
import { serviceCtx } from "../services/context";

/** Seconds before a failed sweep is tried again. */
const RETRY_DELAY_S = 60;

export async function consumeSweeps(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ctx = serviceCtx(env);
  for (const [i, msg] of batch.messages.entries()) {
    // Only if the queue were configured with larger batches than the bound: the rest come again.
    if (i >= SWEEPS_PER_INVOCATION) {
      msg.retry();
      continue;
    }
    const parsed = SweepMessage.safeParse(msg.body);
    if (!parsed.success) {
      log.error("sweep message not understood; dropped (the log's alarm asks again)", {
        body: JSON.stringify(msg.body ?? null).slice(0, 200),
      });
      msg.ack();
      continue;
    }
    try {
      const result = await sweepTenant(ctx, parsed.data.tenant_id, Date.now());
      if (result.requeued || result.rehanded || result.tasks || result.redriven)
        log.info("swept", { tenant_id: parsed.data.tenant_id, ...result });
      msg.ack();
    } catch (err) {
      log.error("sweep failed for a tenant", {
        tenant_id: parsed.data.tenant_id,
        attempts: msg.attempts,
        ...errorFields(err),
      });
      msg.retry({ delaySeconds: RETRY_DELAY_S });
    }
  }
}
