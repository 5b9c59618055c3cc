/** The cron trigger: re-queue events whose fan-out never ran, then purge by retention. */
import { log } from "../lib/log";
import { serviceCtx } from "../services/context";
import { purgeExpired } from "./retention";
import { sweepUnfannedEvents } from "./sweep";

export async function runScheduled(env: Env, now: number) {
  const ctx = serviceCtx(env);
  const requeued = await sweepUnfannedEvents(ctx, now);
  const purged = await purgeExpired(ctx, now);
  log.info("scheduled run", { requeued, ...purged });
  return { requeued, ...purged };
}
