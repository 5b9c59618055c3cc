/** Fan-out grouped per tenant: a poisoned tenant's messages retry alone; another tenant's are delivered and acked. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

/** Writes an event into the tenant's log without queueing its fan-out: only the test's batch carries it. */
async function storedEvent(tenant: string, n: number) {
  await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
  const id = `evt_01jd0000000000000000poi${n.toString().padStart(3, "0")}`;
  await logRows(
    tenant,
    "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
    id,
    tenant,
    Date.now(),
  );
  return id;
}

describe("a poisoned tenant", () => {
  it("does not delay another tenant's delivery in the same queue batch", async () => {
    const poisoned = await createTenant();
    const healthy = await createTenant();
    const poisonedPath = uniquePath("/ok");
    const healthyPath = uniquePath("/ok");
    const bad = await createEndpoint(poisoned, { url: receiverUrl(poisonedPath), event_types: ["a.*"] });
    await createEndpoint(healthy, { url: receiverUrl(healthyPath), event_types: ["a.*"] });
    // A corrupt configuration row: loading the poisoned tenant's endpoints throws on every try.
    await env.DB.prepare("UPDATE endpoints SET event_types = '{not json' WHERE id = ?").bind(bad.id).run();
    const poisonedEvent = await storedEvent(poisoned, 1);
    const healthyEvent = await storedEvent(healthy, 2);

    const batch = createMessageBatch("edgehooks-events", [
      {
        id: "p1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: poisoned, event_ids: [poisonedEvent], origin: "" },
      },
      {
        id: "h1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: healthy, event_ids: [healthyEvent], origin: "" },
      },
      {
        id: "p2",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: poisoned, event_ids: [poisonedEvent], origin: "resend:x" },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["h1"]);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(["p1", "p2"]);
    const [got] = await waitForReceived(healthyPath, 1);
    expect(got!.headers["webhook-id"]).toBe(healthyEvent);
    expect((await received(poisonedPath)).filter((r) => r.headers["webhook-id"] === poisonedEvent)).toHaveLength(0);
  });
});

describe("a full batch", () => {
  it("fans out all 100 events of one batch request (more ids than DO SQLite binds in one statement)", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const events = Array.from({ length: 100 }, (_, i) => ({ type: "bulk.item", data: { i } }));
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, { body: { events } });
    expect(res.status).toBe(202);
    const got = await waitForReceived(path, 100, 20_000);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(
      new Set(res.body.data.map((e: { id: string }) => e.id)),
    );
  });
});
