/**
 * Retention, per tenant: each TenantLog's own alarm purges exactly what is older than its
 * tenant's retention_days, and nothing of another tenant. The sweeper re-queues un-fanned events.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { api, createEndpoint, eventually, uniqueTenantId } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { attemptCount, logCount, logRows, tenantLogStub } from "../helpers/tenant-log";

const DAY = 24 * 3600_000;

async function tenantWith(retention?: number) {
  const id = uniqueTenantId();
  const res = await api("POST", "/v1/tenants", {
    body: { id, name: id, ...(retention ? { retention_days: retention } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; retention_days: number };
}

/** Three delivered events, two of them (with deliveries and attempts) aged `days` back. */
async function threeEventsTwoAged(tenant: string, days: number) {
  await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
  for (let i = 0; i < 3; i++) await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { i } } });
  await eventually(
    () => attemptCount(tenant),
    (n) => n === 3,
  );
  const aged = (await logRows<{ id: string }>(tenant, "SELECT id FROM events ORDER BY id LIMIT 2")).map((r) => r.id);
  const old = Date.now() - days * DAY;
  for (const id of aged) {
    await logRows(tenant, "UPDATE events SET created_at = ? WHERE id = ?", old, id);
    await logRows(tenant, "UPDATE deliveries SET created_at = ? WHERE event_id = ?", old, id);
    await logRows(tenant, "UPDATE attempts SET started_at = ? WHERE event_id = ?", old, id);
    await logRows(tenant, "UPDATE deliveries SET first_started_at = ? WHERE event_id = ?", old, id);
  }
  return aged;
}

describe("retention per tenant", () => {
  it("the log's alarm purges what is older than the tenant's retention_days, and keeps another tenant's", async () => {
    const short = await tenantWith(2);
    const standard = await tenantWith();
    expect(short.retention_days).toBe(2);
    expect(standard.retention_days).toBe(30);
    const aged = await threeEventsTwoAged(short.id, 3);
    await threeEventsTwoAged(standard.id, 3);

    expect(await runDurableObjectAlarm(tenantLogStub(short.id))).toBe(true);
    expect(await runDurableObjectAlarm(tenantLogStub(standard.id))).toBe(true);
    for (const table of ["events", "deliveries"]) {
      expect(await logCount(short.id, table)).toBe(1);
      expect(await logCount(standard.id, table)).toBe(3);
    }
    expect(await attemptCount(short.id)).toBe(1);
    expect(await attemptCount(standard.id)).toBe(3);
    const [left] = await logRows<{ id: string }>(short.id, "SELECT id FROM events");
    expect(aged).not.toContain(left!.id);
    // The alarm comes back: retention keeps running without the cron.
    expect(await runDurableObjectAlarm(tenantLogStub(short.id))).toBe(true);
    expect(await logCount(short.id, "events")).toBe(1);
  });

  it("a lowered retention_days applies from the next alarm run", async () => {
    const t = await tenantWith();
    await threeEventsTwoAged(t.id, 10);
    await runDurableObjectAlarm(tenantLogStub(t.id));
    expect(await logCount(t.id, "events")).toBe(3);
    const patched = await api("PATCH", `/v1/tenants/${t.id}`, { body: { retention_days: 7 } });
    expect(patched.status).toBe(200);
    expect(patched.body.retention_days).toBe(7);
    expect((await api("GET", `/v1/tenants/${t.id}`)).body.retention_days).toBe(7);
    await runDurableObjectAlarm(tenantLogStub(t.id));
    expect(await logCount(t.id, "events")).toBe(1);
  });

  it.each([[0], [31], [1.5], ["7"], [null]])("retention_days %j is refused with 400 naming it", async (value) => {
    const id = uniqueTenantId();
    const created = await api("POST", "/v1/tenants", { body: { id, name: id, retention_days: value } });
    expect(created.status).toBe(400);
    expect(created.body.error.issues.map((i: { path: string }) => i.path)).toContain("retention_days");
    const t = await tenantWith();
    const patched = await api("PATCH", `/v1/tenants/${t.id}`, { body: { retention_days: value } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.issues.map((i: { path: string }) => i.path)).toContain("retention_days");
  });
});

describe("the sweeper", () => {
  it("re-queues an event whose fan-out never ran", async () => {
    const t = await tenantWith();
    const path = uniquePath("/ok");
    await createEndpoint(t.id, { url: receiverUrl(path) });
    // An event written without its queue message (as if the isolate died in between).
    const id = "evt_01jd00000000000000000sweep";
    await api("POST", `/v1/tenants/${t.id}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    await logRows(
      t.id,
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
      id,
      t.id,
      Date.now() - 10 * 60_000,
    );
    const result = await sweepTenant(serviceCtx(env), t.id, Date.now());
    expect(result.requeued).toBe(1);
    const got = await waitForReceived(path, 2);
    expect(got.map((r) => r.headers["webhook-id"])).toContain(id);
  });
});
