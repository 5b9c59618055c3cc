/** The cron trigger: the sweeper, per tenant. Retention runs on each TenantLog's own alarm. */
import { log } from "../lib/log";
import { serviceCtx } from "../services/context";
import { resealEndpoints } from "./reseal";
import { sweepAll } from "./sweep";

export async function runScheduled(env: Env, now: number) {
  const result = await sweepAll(serviceCtx(env), now);
  // After a key rotation: a bounded batch of endpoints re-encrypted under the current key per run.
  const reseal = await resealEndpoints(env).catch((err: unknown) => {
    log.error("encryption.reseal_failed", { error: String(err) });
    return null;
  });
  log.info("scheduled run", {
    ...result,
    ...(reseal ? { resealed: reseal.resealed, reseal_remaining: reseal.remaining, reseal_v1_remaining: reseal.v1_remaining } : {}),
  });
  return result;
}
