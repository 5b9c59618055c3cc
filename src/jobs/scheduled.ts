/** The cron trigger: the sweeper, per tenant. Retention runs on each TenantLog's own alarm. */
import { log } from "../lib/log";
import { serviceCtx } from "../services/context";
import { sweepAll } from "./sweep";

export async function runScheduled(env: Env, now: number) {
  const result = await sweepAll(serviceCtx(env), now);
  log.info("scheduled run", { ...result });
  return result;
}
