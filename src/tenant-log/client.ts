/**
 * How callers reach a tenant's TenantLog: by RPC on the object named by the tenant id. Nothing
 * outside src/tenant-log touches its storage.
 */
import { changesByTenant, type DeliveryChange } from "../attempts/record";
import { OPERATOR_TENANT } from "../domain/operational";
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

/** Records attempt outcomes and status changes: one call per tenant touched. */
export async function recordChanges(env: Env, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  await Promise.all([...changesByTenant(changes)].map(([tenantId, list]) => tenantLogFor(env, tenantId).record(list, now)));
}

export { STALE_TENANT } from "./tenant-log";
