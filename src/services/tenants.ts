/** Tenant verbs: one customer of the producer, owner of endpoints and events. */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client";
import { newId } from "../db/ids";
import { attempts, deliveries, endpoints, events, idempotencyKeys, tenants, type TenantEnvironment } from "../db/schema";
import { ApiError, notFound } from "../errors";
import { iso } from "../http/time";

export type TenantRow = typeof tenants.$inferSelect;

export function tenantView(row: TenantRow) {
  return { id: row.id, name: row.name, metadata: row.metadata, environment: row.environment, created_at: iso(row.createdAt), updated_at: iso(row.updatedAt) };
}

export async function getTenant(db: Db, tenantId: string): Promise<TenantRow> {
  const row = await db.select().from(tenants).where(eq(tenants.id, tenantId)).get();
  if (!row) throw notFound("tenant");
  return row;
}

export async function createTenant(db: Db, input: { id?: string; name: string; metadata?: Record<string, string>; environment?: TenantEnvironment }) {
  const now = Date.now();
  const row: TenantRow = {
    id: input.id ?? newId("tnt", now),
    name: input.name,
    metadata: input.metadata ?? {},
    environment: input.environment ?? "production",
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await db.insert(tenants).values(row).onConflictDoNothing().returning().get();
  if (!inserted) throw new ApiError("conflict", `tenant '${row.id}' already exists`);
  return inserted;
}

/** The tenant's environment (production or sandbox), for the destination rules of its endpoints. */
export async function tenantEnvironment(db: Db, tenantId: string): Promise<TenantEnvironment> {
  return (await getTenant(db, tenantId)).environment;
}

/** The reserved tenant that receives Edgehooks' own operational events; made on first use. */
export async function ensureTenant(db: Db, id: string, name: string) {
  const now = Date.now();
  await db.insert(tenants).values({ id, name, metadata: {}, environment: "production", createdAt: now, updatedAt: now }).onConflictDoNothing();
}

export async function listTenants(db: Db, opts: { limit: number; before?: string; onlyId?: string | null }) {
  const conds = [];
  if (opts.before) conds.push(lt(tenants.id, opts.before));
  if (opts.onlyId) conds.push(eq(tenants.id, opts.onlyId));
  return db
    .select()
    .from(tenants)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(tenants.id))
    .limit(opts.limit + 1)
    .all();
}

export async function updateTenant(db: Db, tenantId: string, patch: { name?: string; metadata?: Record<string, string> }) {
  const row = await db
    .update(tenants)
    .set({ ...patch, updatedAt: Date.now() })
    .where(eq(tenants.id, tenantId))
    .returning()
    .get();
  if (!row) throw notFound("tenant");
  return row;
}

/**
 * Deletes the tenant and everything it owns in one D1 batch (atomic). Its endpoints' dispatchers
 * are told by the caller so held deliveries stop.
 */
export async function deleteTenant(db: Db, tenantId: string) {
  const owned = await db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.tenantId, tenantId)).all();
  const res = await db.batch([
    db.delete(tenants).where(eq(tenants.id, tenantId)).returning({ id: tenants.id }),
    db.delete(endpoints).where(eq(endpoints.tenantId, tenantId)),
    db.delete(attempts).where(eq(attempts.tenantId, tenantId)),
    db.delete(deliveries).where(eq(deliveries.tenantId, tenantId)),
    db.delete(events).where(eq(events.tenantId, tenantId)),
    db.delete(idempotencyKeys).where(eq(idempotencyKeys.tenantId, tenantId)),
  ]);
  if (res[0].length === 0) throw notFound("tenant");
  return owned.map((e) => e.id);
}

