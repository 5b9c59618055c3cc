/**
 * Idempotent ingest (docs/contract.md "Idempotency"): a repeat of an Idempotency-Key or body `id`
 * within 24 hours answers the event it first made and fans out nothing new, per tenant; after 24
 * hours it is a new event; the same key with a different body (any of type, data, channels,
 * ordering key, deliver_at, expires_at) is 409 naming the key, in a batch for that item only; and
 * concurrent repeats on one tenant make one event and one delivery per endpoint. What counts as
 * "the same body" is the pure rule in src/delivery/idempotency.ts (test/delivery/idempotency.test.ts).
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../../helpers/api";
import { received, receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";
import { logCount, logRows } from "../../helpers/tenant-log";

const post = (tenant: string, body: Record<string, unknown>, key?: string) =>
  api("POST", `/v1/tenants/${tenant}/events`, { body, ...(key ? { headers: { "Idempotency-Key": key } } : {}) });

async function deliveriesOf(tenant: string, eventId: string) {
  return (await api("GET", `/v1/tenants/${tenant}/events/${eventId}/deliveries`)).body.data as { status: string }[];
}

describe("idempotent ingest", () => {
  it("the same Idempotency-Key answers the same event and fans out nothing new", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const send = () =>
      api("POST", `/v1/tenants/${tenant}/events`, {
        headers: { "Idempotency-Key": "order-42-paid" },
        body: { type: "order.paid", data: { n: 1 } },
      });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    await waitForReceived(path, 1);
    // A third repeat after delivery, and the consumer given time to run: still one delivery.
    expect((await send()).body.id).toBe(first.body.id);
    await eventually(
      () => deliveriesOf(tenant, first.body.id),
      (d) => d.length === 1 && d[0]!.status === "succeeded",
    );
    expect(await logCount(tenant, "events")).toBe(1);
    expect(await received(path)).toHaveLength(1);
  });

  it("body id dedupes the same way; different keys and different tenants make different events", async () => {
    const t1 = await createTenant();
    const t2 = await createTenant();
    const a = await api("POST", `/v1/tenants/${t1}/events`, { body: { type: "a.b", data: {}, id: "ext-1" } });
    const b = await api("POST", `/v1/tenants/${t1}/events`, { body: { type: "a.b", data: {}, id: "ext-1" } });
    const c = await api("POST", `/v1/tenants/${t1}/events`, { body: { type: "a.b", data: {}, id: "ext-2" } });
    const d = await api("POST", `/v1/tenants/${t2}/events`, { body: { type: "a.b", data: {}, id: "ext-1" } });
    expect(b.body.id).toBe(a.body.id);
    expect(c.body.id).not.toBe(a.body.id);
    expect(d.body.id).not.toBe(a.body.id);
  });

  it("a repeat after 24 hours is a new event", async () => {
    const tenant = await createTenant();
    const first = await api("POST", `/v1/tenants/${tenant}/events`, {
      headers: { "Idempotency-Key": "k" },
      body: { type: "a.b", data: {} },
    });
    await logRows(tenant, "UPDATE idempotency_keys SET expires_at = ?", Date.now() - 1);
    const again = await api("POST", `/v1/tenants/${tenant}/events`, {
      headers: { "Idempotency-Key": "k" },
      body: { type: "a.b", data: {} },
    });
    expect(again.body.id).not.toBe(first.body.id);
  });
});

describe("idempotency key reuse", () => {
  // Within the tenant's retention (30 days by default): ingest refuses times beyond it.
  const base = Math.floor(Date.now() / 1000) * 1000;
  const inDays = (days: number, extraMs = 0) => new Date(base + days * 86_400_000 + extraMs).toISOString();
  const original = {
    type: "order.paid",
    data: { id: 1, total: 10 },
    channels: ["eu"],
    ordering_key: "o-1",
    deliver_at: inDays(1),
    expires_at: inDays(2),
  };

  it.each([
    ["type", { type: "order.refunded" }],
    ["data", { data: { id: 1, total: 11 } }],
    ["channels", { channels: ["us"] }],
    ["ordering_key", { ordering_key: "o-2" }],
    ["deliver_at", { deliver_at: inDays(1, 1000) }],
    ["expires_at", { expires_at: null }],
  ])("a different %s under the same key answers 409 conflict naming the key", async (_field, change) => {
    const tenant = await createTenant();
    const first = await post(tenant, original, "pay-42");
    expect(first.status).toBe(202);
    const body = { ...original, ...change } as Record<string, unknown>;
    if (body.expires_at === null) delete body.expires_at;
    const again = await post(tenant, body, "pay-42");
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect(again.body.error.message).toContain("pay-42");
    expect(again.body.error.request_id).toMatch(/^req_/);
    // The same body (keys in another order) is still the same event; nothing new was stored.
    const same = await post(
      tenant,
      {
        expires_at: original.expires_at,
        deliver_at: original.deliver_at,
        ordering_key: "o-1",
        channels: ["eu"],
        data: { total: 10, id: 1 },
        type: "order.paid",
      },
      "pay-42",
    );
    expect(same.status).toBe(202);
    expect(same.body.id).toBe(first.body.id);
    expect(await logCount(tenant, "events")).toBe(1);
  });

  it("the body id reused with a different body is a 409 too; in a batch only that item conflicts", async () => {
    const tenant = await createTenant();
    expect((await post(tenant, { type: "a.b", data: { n: 1 }, id: "ext-9" })).status).toBe(202);
    const single = await post(tenant, { type: "a.b", data: { n: 2 }, id: "ext-9" });
    expect(single.status).toBe(409);
    expect(single.body.error.message).toContain("ext-9");
    const batch = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: "a.b", data: { n: 3 }, id: "ext-9" },
          { type: "a.b", data: { n: 4 }, id: "ext-10" },
        ],
      },
    });
    expect(batch.status).toBe(202);
    expect(batch.body.data[0].error).toMatchObject({ code: "conflict" });
    expect(batch.body.data[0].error.message).toContain("ext-9");
    expect(batch.body.data[1].id).toMatch(/^evt_/);
    expect(await logCount(tenant, "events")).toBe(2);
  });
});

describe("concurrent idempotent ingest on one tenant", () => {
  it("20 posts at once with the same key make one event and one delivery per endpoint", async () => {
    const tenant = await createTenant();
    const paths = [uniquePath("/ok"), uniquePath("/ok")];
    for (const p of paths) await createEndpoint(tenant, { url: receiverUrl(p) });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(tenant, { type: "job.done", data: { job: 7 } }, "job-7-done")),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    for (const p of paths) await waitForReceived(p, 1);
    const deliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${id}/deliveries`),
      (r) => r.body.data.length === 2 && r.body.data.every((d: { status: string }) => d.status === "succeeded"),
    );
    expect(new Set(deliveries.body.data.map((d: { endpoint_id: string }) => d.endpoint_id)).size).toBe(2);
    expect(await logCount(tenant, "events")).toBe(1);
    expect(await logCount(tenant, "idempotency_keys")).toBe(1);
    for (const p of paths) expect(await received(p)).toHaveLength(1);
  });
});
