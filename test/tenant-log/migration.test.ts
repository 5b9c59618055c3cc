/** A TenantLog made by the previous schema version is migrated when its object starts again. */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { describe, expect, it } from "vitest";
import { migrationsUpTo, TENANT_LOG_MIGRATIONS } from "../../src/tenant-log/migrations";
import { dropAllTables, migrateTenantLog, type TenantLog } from "../../src/tenant-log/tenant-log";
import { uniqueTenantId } from "../helpers/api";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const LATEST = TENANT_LOG_MIGRATIONS.journal.entries.length;
const tables = (rows: { name: string }[]) => rows.map((r) => r.name).sort();

describe("TenantLog migrations", () => {
  it("an object at version 1 gets every later version on start, keeping its rows", async () => {
    const tenant = uniqueTenantId("mig");
    const stub = tenantLogStub(tenant);
    // Lay the object out as version 1 of the code left it, with a version-1 event and delivery.
    await runInDurableObject(stub, async (_i: TenantLog, state) => {
      dropAllTables(state.storage.sql);
      await migrateTenantLog(drizzle(state.storage), migrationsUpTo(1));
      const sql = state.storage.sql;
      sql.exec("INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES ('evt_01jd000000000000000000mig1', ?, 'a.b', '{\"v\":1}', 1, 1)", tenant);
      sql.exec(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
         VALUES ('dlv_01jd000000000000000000mig1', ?, 'evt_01jd000000000000000000mig1', 'ep_01jd0000000000000000000001', 'a.b', '', 'failed', 8, 1, 1)`,
        tenant,
      );
    });
    const v1 = tables(await logRows<{ name: string }>(tenant, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'"));
    expect(v1).toEqual(["attempts", "deliveries", "events", "idempotency_keys", "meta"]);

    // A new instance runs the constructor, which applies what version 1 lacks.
    await evictDurableObject(stub);
    expect(await stub.getEvent("evt_01jd000000000000000000mig1")).toMatchObject({ type: "a.b", payload: '{"v":1}' });
    const v2 = tables(await logRows<{ name: string }>(tenant, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'"));
    expect(v2).toEqual(["attempts", "dead_letters", "deliveries", "delivery_stats", "events", "idempotency_keys", "meta", "tasks"]);
    const [delivery] = await stub.listDeliveries({ limit: 10 });
    expect(delivery).toMatchObject({ id: "dlv_01jd000000000000000000mig1", status: "failed", taskId: null });
    const applied = await logRows<{ n: number }>(tenant, "SELECT COUNT(*) AS n FROM __drizzle_migrations");
    expect(applied[0]!.n).toBe(LATEST);
    // Starting again applies nothing twice.
    await evictDurableObject(stub);
    expect((await stub.sizes()).events).toBe(1);
    expect((await logRows<{ n: number }>(tenant, "SELECT COUNT(*) AS n FROM __drizzle_migrations"))[0]!.n).toBe(LATEST);
  });

  it("an object at version 2 gets a rowid events table on start, keeping rows and indexes", async () => {
    const tenant = uniqueTenantId("mig");
    const stub = tenantLogStub(tenant);
    await runInDurableObject(stub, async (_i: TenantLog, state) => {
      dropAllTables(state.storage.sql);
      await migrateTenantLog(drizzle(state.storage), migrationsUpTo(2));
      const sql = state.storage.sql;
      sql.exec("INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ('evt_01jd000000000000000000mig2', ?, 'a.b', '{\"v\":2}', 1)", tenant);
      sql.exec(
        `INSERT INTO attempts (id, delivery_id, tenant_id, endpoint_id, event_id, number, trigger, url, started_at, duration_ms, status_code, request_headers)
         VALUES ('att_01jd000000000000000000mig2', 'dlv_01jd000000000000000000mig2', ?, 'ep_01jd0000000000000000000001', 'evt_01jd000000000000000000mig2', 1, 'scheduled', 'https://example.com/', 1, 5, 200, '{}')`,
        tenant,
      );
    });
    await evictDurableObject(stub);
    expect(await stub.getEvent("evt_01jd000000000000000000mig2")).toMatchObject({ type: "a.b", payload: '{"v":2}', fannedOutAt: null });
    const layout = await logRows<{ name: string; sql: string }>(tenant, "SELECT name, sql FROM sqlite_master WHERE name IN ('events', 'attempts', 'events_unfanned', 'attempts_delivery', 'events_v3', 'attempts_v3')");
    expect(layout.map((r) => r.name).sort()).toEqual(["attempts", "attempts_delivery", "events", "events_unfanned"]);
    expect(layout.find((r) => r.name === "events")!.sql).not.toMatch(/WITHOUT ROWID/i);
    expect(await logRows(tenant, "SELECT id, number, status_code FROM attempts")).toEqual([{ id: "att_01jd000000000000000000mig2", number: 1, status_code: 200 }]);
    // The event is still found by the sweeper's question (never fanned out).
    expect(await stub.unfanned(Date.now(), 10)).toEqual(["evt_01jd000000000000000000mig2"]);
  });
});
