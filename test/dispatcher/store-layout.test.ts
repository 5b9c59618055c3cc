/**
 * The dispatcher's own SQLite: what one delivery costs in rows, an object laid out by the
 * previous version brought up to date with its rows, and a fan-out that runs again after a
 * delivery settled not sending it twice.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { DISPATCHER_SCHEMA_VERSION, DispatcherStore } from "../../src/dispatcher/storage";
import { serviceCtx } from "../../src/services/context";
import { activeEndpoints, handOff } from "../../src/services/events/fanout";
import { tenantLogFor } from "../../src/tenant-log/client";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

/** The layout before v2, as the previous version created it. */
const V1 = `
CREATE TABLE pending (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL, event_id TEXT NOT NULL,
  event_type TEXT NOT NULL, event_created_at INTEGER NOT NULL, payload TEXT NOT NULL, ordering_key TEXT, expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL, lease_until INTEGER, trigger TEXT NOT NULL DEFAULT 'scheduled'
);
CREATE INDEX pending_due ON pending (due_at, seq);
CREATE INDEX pending_lane ON pending (ordering_key, seq);
CREATE INDEX pending_lease ON pending (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX pending_expiry ON pending (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL);
`;

const row = (id: string, seq: number, orderingKey: string | null) =>
  [seq, id, "t", `evt_${id}`, "a.b", 1, "{}", orderingKey, null, 0, 1000 + seq, null, "scheduled"] as const;

describe("dispatcher storage layout", () => {
  it("brings a v1 object up to v2 and keeps its pending rows, their order and their lanes", async () => {
    const stub = env.DISPATCHER.getByName(`layout-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_i: EndpointDispatcher, state) => {
      const sql = state.storage.sql;
      for (const t of ["pending", "meta", "outbox"]) sql.exec(`DROP TABLE IF EXISTS ${t}`);
      sql.exec(V1);
      for (const r of [row("d1", 5, "k"), row("d2", 7, "k"), row("d3", 9, null)])
        sql.exec("INSERT INTO pending VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ...r);
      sql.exec("INSERT INTO outbox (change) VALUES ('[]')");

      const store = new DispatcherStore(sql);
      expect(store.all().map((r) => [r.seq, r.delivery_id])).toEqual([
        [5, "d1"],
        [7, "d2"],
        [9, "d3"],
      ]);
      // The lane's head only: d2 waits behind d1 as before.
      expect(store.due(10_000, 10).map((r) => r.delivery_id)).toEqual(["d1", "d3"]);
      expect(store.outboxSize()).toBe(1);
      const indexes = sql
        .exec<{ name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pending' AND sql IS NOT NULL",
        )
        .toArray();
      expect(indexes.map((i) => i.name).sort()).toEqual(["pending_due", "pending_expiry", "pending_lane_order"]);
      expect(indexes.find((i) => i.name === "pending_lane_order")!.sql).toMatch(/WHERE ordering_key IS NOT NULL/);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'pending_v1'").toArray()).toHaveLength(0);
      expect(store.getMeta("schema_version")).toBe(DISPATCHER_SCHEMA_VERSION);

      // New rows come after the old ones, and a second start changes nothing.
      store.insertPending([{ ...store.get("d3")!, delivery_id: "d4" }]);
      expect(store.get("d4")!.seq).toBe(10);
      expect(new DispatcherStore(sql).all()).toHaveLength(4);
    });
  });

  it("brings a v2 object without the trace and lane columns up to date, and an up-to-date object starts with one statement", async () => {
    const stub = env.DISPATCHER.getByName(`layout-v2-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_i: EndpointDispatcher, state) => {
      const sql = state.storage.sql;
      // A v2 object from before the trace columns: v2's tables, version 2, no trace_id/trace_flags.
      new DispatcherStore(sql);
      sql.exec("DROP INDEX pending_due; DROP INDEX pending_lane_order; DROP INDEX pending_expiry; DROP TABLE pending");
      sql.exec(V1.split(";")[0]!.replace("AUTOINCREMENT", ""));
      sql.exec("INSERT INTO pending VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ...row("d1", 1, null));
      sql.exec("UPDATE meta SET v = '2' WHERE k = 'schema_version'");

      const store = new DispatcherStore(sql);
      const columns = sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('pending')")
        .toArray()
        .map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(["trace_id", "trace_flags", "lane_n", "lane_prev", "lane_epoch"]));
      expect(store.getMeta("schema_version")).toBe(DISPATCHER_SCHEMA_VERSION);
      expect(store.all().map((r) => r.delivery_id)).toEqual(["d1"]);

      // Laid out already: the next start reads its version and nothing else.
      const statements: string[] = [];
      const counting = {
        exec: (q: string, ...p: SqlStorageValue[]) => {
          statements.push(q);
          return sql.exec(q, ...p);
        },
      } as unknown as SqlStorage;
      new DispatcherStore(counting);
      expect(statements).toEqual(["SELECT v FROM meta WHERE k = 'schema_version'"]);
    });
  });

  it("one first-try delivery writes three rows into pending and one to remove it", async () => {
    const stub = env.DISPATCHER.getByName(`rows-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (_i: EndpointDispatcher, state) => {
      const store = new DispatcherStore(state.storage.sql);
      const insert = state.storage.sql.exec(
        "INSERT INTO pending (seq, delivery_id, tenant_id, event_id, event_type, event_created_at, payload, due_at) VALUES (99, 'x', 't', 'e', 'a.b', 1, '{}', 1)",
      );
      insert.toArray();
      // The row, the delivery_id key and the due index; no lane (no ordering key), no lease index.
      expect(insert.rowsWritten).toBe(3);
      const lease = state.storage.sql.exec("UPDATE pending SET lease_until = 5 WHERE seq = 99");
      lease.toArray();
      expect(lease.rowsWritten).toBe(1);
      store.remove(99);
      expect(store.get("x")).toBeNull();
    });
  });
});

describe("a fan-out that runs again", () => {
  it("does not send again a delivery that settled while its plan was on the way", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const eventId = await l.post({ type: "a.b", data: {} });
    // A second fan-out of the same event (its queue message retried) reads the plan while the
    // delivery is still pending in the log...
    const ctx = serviceCtx(env);
    const endpoints = await activeEndpoints(ctx, l.tenant);
    const routable = endpoints.map((e) => ({
      id: e.id,
      status: e.status,
      eventTypes: e.eventTypes,
      channels: e.channels,
      filter: e.filter,
    }));
    const plan = await tenantLogFor(env, l.tenant).fanOut([{ eventId, origin: "" }], routable, Date.now());
    expect(plan.deliveries).toHaveLength(1);
    // ...the dispatcher sends it and records the outcome...
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    // ...and then the late hand-off arrives.
    await handOff(ctx, plan, new Map(endpoints.map((e) => [e.id, e])));
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    expect((await l.inspect()).pending).toHaveLength(0);
    expect((await l.deliveries(eventId))[0].status).toBe("succeeded");
  });

  it("a manual retry of a settled delivery is still sent", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const [d] = await l.deliveries(eventId);
    const { api } = await import("../helpers/api");
    const retry = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d.id}/retry`);
    expect(retry.status).toBe(200);
    expect(await l.received()).toHaveLength(2);
  });
});
