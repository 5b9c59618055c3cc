/**
 * Retention: attempts, deliveries and events older than RETENTION_DAYS are removed in bounded
 * batches (never one giant delete that would hold D1's single writer), plus expired idempotency keys.
 */
import type { ServiceCtx } from "../services/context";

const BATCH = 500;
const MAX_ROUNDS = 20;

async function purgeTable(ctx: ServiceCtx, table: string, column: string, cutoff: number): Promise<number> {
  let removed = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const res = await ctx.env.DB.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${column} < ? LIMIT ${BATCH})`)
      .bind(cutoff)
      .run();
    const n = res.meta.changes ?? 0;
    removed += n;
    if (n < BATCH) break;
  }
  return removed;
}

export async function purgeExpired(ctx: ServiceCtx, now: number) {
  const cutoff = now - ctx.config.retentionDays * 24 * 3600_000;
  return {
    attempts: await purgeTable(ctx, "attempts", "started_at", cutoff),
    deliveries: await purgeTable(ctx, "deliveries", "created_at", cutoff),
    events: await purgeTable(ctx, "events", "created_at", cutoff),
    idempotency_keys: await purgeTable(ctx, "idempotency_keys", "expires_at", now),
    cutoff: new Date(cutoff).toISOString(),
  };
}
