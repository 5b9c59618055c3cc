/** Reads and writes a tenant's TenantLog SQLite directly, for tests that age rows or count them. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { TenantLog } from "../../src/tenant-log/tenant-log";

export const tenantLogStub = (tenantId: string) => env.TENANT_LOG.getByName(tenantId);

export async function logRows<T = Record<string, unknown>>(
  tenantId: string,
  query: string,
  ...params: SqlStorageValue[]
): Promise<T[]> {
  return runInDurableObject(
    tenantLogStub(tenantId),
    (_i: TenantLog, state) => state.storage.sql.exec(query, ...params).toArray() as T[],
  );
}

export async function logCount(tenantId: string, table: string): Promise<number> {
  const [row] = await logRows<{ n: number }>(tenantId, `SELECT COUNT(*) AS n FROM ${table}`);
  return row!.n;
}

/** Attempts a tenant's log holds, wherever they are (a first attempt lives in its delivery's row). */
export async function attemptCount(tenantId: string): Promise<number> {
  return (await tenantLogStub(tenantId).sizes()).attempts ?? 0;
}
