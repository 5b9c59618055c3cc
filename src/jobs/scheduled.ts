/**
 * The cron trigger: the reseal pass after a key rotation, a bounded batch per run. The sweep is
 * not here: each TenantLog's alarm asks for its own (src/domain/sweep.ts), so no invocation walks
 * every tenant and nothing else in this run can fail before the reseal.
 */
import { errorFields, log } from "../lib/log";
import { resealEndpoints } from "./reseal";

export async function runScheduled(env: Env, _now: number) {
  const reseal = await resealEndpoints(env).catch((err: unknown) => {
    log.error("encryption.reseal_failed", { ...errorFields(err) });
    return null;
  });
  if (reseal)
    log.info("scheduled run", {
      resealed: reseal.resealed,
      reseal_remaining: reseal.remaining,
      reseal_v1_remaining: reseal.v1_remaining,
    });
  return reseal;
}
