/** Isolation between endpoints, restarts mid-ladder, double alarms, dead letters. */
import {
  createExecutionContext,
  createMessageBatch,
  evictDurableObject,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import worker from "../../src/index";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { operatorLogName } from "../../src/tenant-log/client";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { ladder, TestClock } from "../helpers/ladder";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

describe("a dead endpoint never slows a healthy one", () => {
  it("delivers everything to the healthy endpoint while the dead one's first attempt still hangs", async () => {
    const tenant = await createTenant();
    const deadPath = uniquePath("/hang");
    const healthyPath = uniquePath("/ok");
    const dead = await createEndpoint(tenant, { url: receiverUrl(deadPath), timeout_ms: 30_000 });
    await createEndpoint(tenant, { url: receiverUrl(healthyPath) });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { i } } });
      ids.push(res.body.id);
    }
    const got = await waitForReceived(healthyPath, 10);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set(ids));
    // The dead receiver got its requests but has answered none: no attempt of it is recorded yet,
    // so the healthy deliveries above finished while the dead ones were still in flight.
    expect((await received(deadPath)).length).toBeGreaterThan(0);
    const deadLog = await api("GET", `/v1/tenants/${tenant}/attempts?endpoint_id=${dead.id}`);
    expect(deadLog.body.data).toHaveLength(0);
    const healthyDeliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/deliveries?status=succeeded`),
      (r) => r.body.data.length === 10,
    );
    expect(healthyDeliveries.body.data.every((d: { endpoint_id: string }) => d.endpoint_id !== dead.id)).toBe(true);
  });
});

describe("durability of the schedule", () => {
  it("pending retries survive an eviction of the Durable Object and still fire", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [5, 5] } } });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const due = (await l.inspect()).pending[0]!.due_at;

    await evictDurableObject(l.stub);
    // A fresh instance: the schedule comes back from its SQLite; re-freeze the test clock.
    await runInDurableObject(l.stub, (i: EndpointDispatcher) => {
      expect(i.onSystemClock).toBe(true);
      i.useClock(new TestClock(due));
    });
    expect(await l.alarmAt()).toBe(due);
    expect(await l.runAlarm()).toBe(true);
    const got = await l.received();
    expect(got.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);
  });

  it("an alarm that runs twice does not send twice", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await l.post({ type: "a.b", data: {} });
    expect(await l.runAlarm()).toBe(true);
    // The first run left nothing to do: no alarm is set, and forcing one sends nothing.
    expect(await l.alarmAt()).toBeNull();
    await runInDurableObject(l.stub, (i: EndpointDispatcher) => i.alarm());
    expect(await l.received()).toHaveLength(1);
  });

  it("a retry cut short by an eviction is sent again once its lease runs out", async () => {
    const path = uniquePath("/status/500");
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [5, 5] } } });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm(); // attempt 1 fails: the retry is a row of the pending table
    expect(await l.received()).toHaveLength(1);
    await l.advance(5_000);
    // Simulate an isolate that died mid-attempt: the row is leased but no outcome came back.
    await runInDurableObject(l.stub, (i: EndpointDispatcher, state) => {
      state.storage.sql.exec("UPDATE pending SET lease_until = ?", i.now() + 45_000);
    });
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    await l.advance(45_000);
    await l.runAlarm();
    expect((await l.received()).map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);
  });

  it("a first attempt held in memory and lost with its object is sent by the sweep", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const eventId = await l.post({ type: "a.b", data: {} });
    // Held in memory, not written: the pending table has no row of it (src/dispatcher/fresh-hold.ts).
    const tableRows = await runInDurableObject(l.stub, (_i: EndpointDispatcher, state) =>
      state.storage.sql.exec("SELECT COUNT(*) AS n FROM pending").one(),
    );
    expect(tableRows.n).toBe(0);
    expect((await l.inspect()).pending).toHaveLength(1);
    await evictDurableObject(l.stub);
    await runDurableObjectAlarm(l.stub);
    expect(await l.received()).toHaveLength(0);
    // The log's delivery row is still pending: the sweep hands it over again, and it goes out.
    expect((await l.deliveries(eventId))[0].status).toBe("pending");
    await sweepTenant(serviceCtx(env), l.tenant, Date.now() + 30 * 60_000);
    await runDurableObjectAlarm(l.stub);
    await waitForReceived(l.path, 1);
    await eventually(
      () => l.deliveries(eventId),
      (d) => d[0]?.status === "succeeded",
    );
  });
});

describe("queues", () => {
  it("the fan-out consumer acks only after the deliveries are written", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    const batch = createMessageBatch("edgehooks-events", [
      {
        id: "m1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: tenant, event_ids: [posted.body.id], origin: "" },
      },
      { id: "m2", timestamp: new Date(), attempts: 1, body: { garbage: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2"]);
    expect(result.retryMessages).toEqual([]);
    const rows = await logRows<{ n: number }>(
      tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ?",
      posted.body.id,
    );
    expect(rows[0]!.n).toBe(1);
    // The message no code understands was recorded as a dead letter (the operator's), not dropped.
    const dl = await logRows("_operator", "SELECT body FROM dead_letters WHERE body LIKE '%garbage%'");
    expect(dl.length).toBeGreaterThan(0);
  });

  it("operational messages from many dispatchers are stored together; a malformed one is dead-lettered", async () => {
    const tenant = `t_ops_${Date.now()}`;
    const raised = (n: number) => ({
      type: "delivery.recovered",
      tenant_id: tenant,
      data: { endpoint_id: `ep_${n}`, delivery_id: `dlv_${n}`, attempts: 2 },
    });
    const batch = createMessageBatch("edgehooks-events", [
      {
        id: "o1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 1, kind: "operational", events: [raised(1), raised(2)] },
      },
      { id: "o2", timestamp: new Date(), attempts: 1, body: { v: 1, kind: "operational", events: [raised(3)] } },
      {
        id: "o3",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 1, kind: "operational", events: [{ type: "DROP TABLE", tenant_id: tenant, data: {} }] },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["o1", "o2", "o3"]);
    expect(result.retryMessages).toEqual([]);
    // In the operator log of the tenant they are about, not one `_operator` log for every tenant.
    const stored = await logRows<{ type: string; payload: string }>(
      operatorLogName(tenant),
      "SELECT type, payload FROM events WHERE payload LIKE ? ORDER BY id",
      `%${tenant}%`,
    );
    expect(stored.map((r) => JSON.parse(r.payload).delivery_id).sort()).toEqual(["dlv_1", "dlv_2", "dlv_3"]);
    expect(stored.every((r) => r.type === "delivery.recovered")).toBe(true);
    const dl = await logRows<{ n: number }>(
      "_operator",
      "SELECT COUNT(*) AS n FROM dead_letters WHERE body LIKE '%DROP TABLE%'",
    );
    expect(dl[0]!.n).toBe(1);
  });

  it("a dead-lettered message is recorded in its tenant's log", async () => {
    const batch = createMessageBatch("edgehooks-events-dlq", [
      {
        id: "d1",
        timestamp: new Date(),
        attempts: 11,
        body: { v: 2, kind: "fanout", tenant_id: "t_dlq", event_ids: ["evt_x"], origin: "" },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.ackAll).toBe(true);
    const [dl] = await logRows("t_dlq", "SELECT queue, attempts FROM dead_letters WHERE body LIKE '%t_dlq%'");
    expect(dl).toMatchObject({ queue: "edgehooks-events-dlq", attempts: 11 });
  });
});
