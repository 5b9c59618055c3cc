/** The cron trigger: re-queue events whose fan-out never ran, then purge by retention. */
import { log } from "../lib/log";
import { serviceCtx } from "../services/context";
import { purgeExpired } from "./retention";
import { resealEndpoints } from "./reseal";
import { sweepUnfannedEvents } from "./sweep";

export async function runScheduled(env: Env, now: number) {
  const ctx = serviceCtx(env);
  const requeued = await sweepUnfannedEvents(ctx, now);
  const purged = await purgeExpired(ctx, now);
  // After a key rotation: a bounded batch of endpoints re-encrypted under the current key per run.
  const reseal = await resealEndpoints(env).catch((err: unknown) => {
    log.error("encryption.reseal_failed", { error: String(err) });
    return null;
  });
  log.info("scheduled run", { requeued, ...purged, ...(reseal ? { resealed: reseal.resealed, reseal_remaining: reseal.remaining } : {}) });
  return { requeued, ...purged };
}
