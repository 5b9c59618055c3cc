/**
 * How callers reach a tenant's TenantLog: by RPC on the object named by the tenant id. Nothing
 * outside src/tenant-log touches its storage.
 */
import type { TenantLog } from "./tenant-log";

export function tenantLogFor(env: Env, tenantId: string): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(tenantId);
}

export { STALE_TENANT } from "./tenant-log";
