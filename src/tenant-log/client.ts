/**
 * How callers reach a tenant's TenantLog: by RPC on the object named by the tenant id. Nothing
 * outside src/tenant-log touches its storage.
 */
import { changesByTenant, type DeliveryChange } from "../attempts/record";
import type { TenantLog } from "./tenant-log";

export function tenantLogFor(env: Env, tenantId: string): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(tenantId);
}

/** Records attempt outcomes and status changes: one call per tenant touched. */
export async function recordChanges(env: Env, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  await Promise.all([...changesByTenant(changes)].map(([tenantId, list]) => tenantLogFor(env, tenantId).record(list, now)));
}

export { STALE_TENANT } from "./tenant-log";
