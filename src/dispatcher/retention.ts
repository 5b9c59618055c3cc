/**
 * The tenant's retention as its TenantLog applies it: a dispatcher drops what it holds beyond it,
 * since the log has purged (or will purge) those deliveries and an outcome would find nothing.
 */
import { eq } from "drizzle-orm";
import { readConfig } from "../config";
import { getDb } from "../db/client";
import { tenants } from "../db/schema";

const DAY_MS = 24 * 3600_000;

/**
 * How often a dispatcher that holds deliveries checks them against the retention: one D1 read per
 * object per period. The log purges hourly; a day's retention is its smallest step, so a few hours
 * late is well inside it.
 */
export const RETENTION_CHECK_EVERY_MS = 6 * 3600_000;

/**
 * An object with nothing else to wake it for (a disabled endpoint, a delivery due far ahead) still
 * wakes this long after its last check. Longer than any preset's step (24 h), so the ladder's own
 * alarms do the checking and this adds no alarm while the ladder runs.
 */
export const RETENTION_WAKE_MS = 2 * 24 * 3600_000;

/** The tenant's retention_days in ms (never above the deployment's), or null when the tenant is gone. */
export async function tenantRetentionMs(env: Env, tenantId: string): Promise<number | null> {
  const row = await getDb(env)
    .select({ retentionDays: tenants.retentionDays })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .get();
  if (!row) return null;
  const max = readConfig(env).retentionDays;
  return Math.min(row.retentionDays ?? max, max) * DAY_MS;
}
