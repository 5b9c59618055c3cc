/**
 * How callers reach a tenant's TenantLog: by RPC on the object named by the tenant id. Nothing
 * outside src/tenant-log touches its storage.
 */
import { changesByTenant, type DeliveryChange } from "../attempts/record";
import { OPERATOR_TENANT } from "../domain/operational";
import { chunk } from "../lib/chunk";
import { ANALYTICS_POINTS_PER_INVOCATION } from "../lib/platform-limits";
import type { TenantLog } from "./tenant-log";

/** `tenantId`: a tenant id, or a name from operatorLogName. */
export function tenantLogFor(env: Env, tenantId: string): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(tenantId);
}

const OPERATOR_LOG_PREFIX = `${OPERATOR_TENANT}/`;

/**
 * Where the operator's copies of the operational events about one tenant live, with their
 * deliveries to the operator's endpoints and their attempts: a log of their own per tenant, so no
 * single object receives every tenant's operational traffic, and none of it shows in the tenant's
 * own log. No tenant id has a `/`, so the name is never a tenant's.
 */
export const operatorLogName = (tenantId: string) => `${OPERATOR_LOG_PREFIX}${tenantId}`;

/** Whose endpoints a log's events go to: an operator log's go to the operator's. */
export const endpointOwnerOf = (logName: string) => (logName.startsWith(OPERATOR_LOG_PREFIX) ? OPERATOR_TENANT : logName);

/**
 * Changes one record() call carries. Each call is one invocation of the TenantLog, which writes an
 * Analytics Engine point per new attempt, and the platform drops every point past 250 per
 * invocation without an error: a catch-up flush of 1,000 outcomes in one call lost 750. The rest
 * go in the next call. 250 attempts with 16 KiB excerpts are ~5 MiB, far under the 32 MiB RPC cap.
 */
export const CHANGES_PER_RECORD_CALL = ANALYTICS_POINTS_PER_INVOCATION;

/** Records attempt outcomes and status changes: calls of at most CHANGES_PER_RECORD_CALL per tenant, in order. */
export async function recordChanges(env: Env, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  await Promise.all(
    [...changesByTenant(changes)].map(async ([tenantId, list]) => {
      const log = tenantLogFor(env, tenantId);
      for (const part of chunk(list, CHANGES_PER_RECORD_CALL)) await log.record(part, now);
    }),
  );
}

export { HOURLY_ENDPOINTS_PER_CALL, STALE_TENANT } from "./tenant-log";
export { STATS_ENDPOINTS_PER_CALL } from "./metrics-query";
