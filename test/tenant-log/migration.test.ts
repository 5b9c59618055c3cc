/** A TenantLog made by the previous schema version is migrated when its object starts again. */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { describe, expect, it } from "vitest";
import { RETRIED_BACKLOG_SQL } from "../../src/tenant-log/metrics-query";
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
      sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES ('evt_01jd000000000000000000mig1', ?, 'a.b', '{\"v\":1}', 1, 1)",
        tenant,
      );
      sql.exec(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
         VALUES ('dlv_01jd000000000000000000mig1', ?, 'evt_01jd000000000000000000mig1', 'ep_01jd0000000000000000000001', 'a.b', '', 'failed', 8, 1, 1)`,
        tenant,
      );
    });
    const v1 = tables(
      await logRows<{ name: string }>(
        tenant,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
      ),
    );
    expect(v1).toEqual(["attempts", "deliveries", "events", "idempotency_keys", "meta"]);

    // A new instance runs the constructor, which applies what version 1 lacks.
    await evictDurableObject(stub);
    expect(await stub.getEvent("evt_01jd000000000000000000mig1")).toMatchObject({ type: "a.b", payload: '{"v":1}' });
    const v2 = tables(
      await logRows<{ name: string }>(
        tenant,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'",
      ),
    );
    expect(v2).toEqual([
      "attempts",
      "dead_letters",
      "deliveries",
      "delivery_stats",
      "events",
      "idempotency_keys",
      "lanes",
      "meta",
      "tasks",
    ]);
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
      sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ('evt_01jd000000000000000000mig2', ?, 'a.b', '{\"v\":2}', 1)",
        tenant,
      );
      sql.exec(
        `INSERT INTO attempts (id, delivery_id, tenant_id, endpoint_id, event_id, number, trigger, url, started_at, duration_ms, status_code, request_headers)
         VALUES ('att_01jd000000000000000000mig2', 'dlv_01jd000000000000000000mig2', ?, 'ep_01jd0000000000000000000001', 'evt_01jd000000000000000000mig2', 1, 'scheduled', 'https://example.com/', 1, 5, 200, '{}')`,
        tenant,
      );
    });
    await evictDurableObject(stub);
    expect(await stub.getEvent("evt_01jd000000000000000000mig2")).toMatchObject({
      type: "a.b",
      payload: '{"v":2}',
      fannedOutAt: null,
    });
    const layout = await logRows<{ name: string; sql: string }>(
      tenant,
      "SELECT name, sql FROM sqlite_master WHERE name IN ('events', 'attempts', 'events_unfanned', 'attempts_delivery', 'events_v3', 'attempts_v3')",
    );
    // v8 dropped events_unfanned (the sweep's look walks the id index from a mark instead).
    expect(layout.map((r) => r.name).sort()).toEqual(["attempts", "attempts_delivery", "events"]);
    expect(layout.find((r) => r.name === "events")!.sql).not.toMatch(/WITHOUT ROWID/i);
    expect(await logRows(tenant, "SELECT id, number, status_code FROM attempts")).toEqual([
      { id: "att_01jd000000000000000000mig2", number: 1, status_code: 200 },
    ]);
    // The event is still found by the sweeper's question (never fanned out).
    expect(await stub.unfanned(Date.now(), 10)).toEqual(["evt_01jd000000000000000000mig2"]);
  });

  it("an object at version 2 gets the metrics columns on start (v5): its roll-ups keep their counts and gain the metrics columns", async () => {
    const tenant = uniqueTenantId("mig");
    const stub = tenantLogStub(tenant);
    const endpoint = "ep_01jd0000000000000000000002";
    await runInDurableObject(stub, async (_i: TenantLog, state) => {
      dropAllTables(state.storage.sql);
      await migrateTenantLog(drizzle(state.storage), migrationsUpTo(2));
      const sql = state.storage.sql;
      // A version-2 roll-up: 3 ok and 1 failed attempt, latencies in buckets 0 and 2; one retried delivery.
      sql.exec(
        "INSERT INTO delivery_stats (endpoint_id, tenant_id, hour, attempts_ok, attempts_failed, succeeded, failed, cancelled, latency) VALUES (?, ?, 3600000, 3, 1, 3, 0, 0, ?)",
        endpoint,
        tenant,
        JSON.stringify([2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      );
      sql.exec(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
         VALUES ('dlv_01jd000000000000000000mig2', ?, 'evt_01jd000000000000000000mig2', ?, 'a.b', '', 'pending_retry', 1, 1, 1)`,
        tenant,
        endpoint,
      );
      sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES ('evt_01jd000000000000000000mig2', ?, 'a.b', '{}', 1, 1)",
        tenant,
      );
    });
    const columns = async (table: string) =>
      (await logRows<{ name: string }>(tenant, `SELECT name FROM pragma_table_info('${table}')`)).map((c) => c.name);
    expect(await columns("delivery_stats")).not.toContain("latency_sum_ms");

    await evictDurableObject(stub);
    const metrics = await stub.metrics();
    expect(await columns("delivery_stats")).toEqual(
      expect.arrayContaining(["latency_sum_ms", "attempts_2xx", "attempts_5xx", "attempts_none"]),
    );
    expect(await columns("events")).toEqual(expect.arrayContaining(["trace_id", "trace_flags"]));
    // The old counts stay; what version 2 never measured starts at 0.
    expect(metrics.endpoints).toEqual([
      expect.objectContaining({
        endpointId: endpoint,
        attemptsOk: 3,
        attemptsFailed: 1,
        succeeded: 3,
        latencySumMs: 0,
        byClass: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, none: 0 },
      }),
    ]);
    expect(metrics.endpoints[0]!.latency.slice(0, 3)).toEqual([2, 0, 2]);
    expect(metrics.backlog).toEqual([{ endpointId: endpoint, status: "pending_retry", count: 1 }]);
    expect(await stub.getEvent("evt_01jd000000000000000000mig2")).toMatchObject({ traceId: null, traceFlags: null });
    // The retried backlog goes through its partial index, never a scan of every delivery.
    const plan = async (q: string) =>
      (await logRows<{ detail: string }>(tenant, `EXPLAIN QUERY PLAN ${q}`)).map((r) => r.detail).join(" | ");
    expect(await plan(RETRIED_BACKLOG_SQL)).toMatch(/USING (COVERING )?INDEX deliveries_retrying/);
  });
});
