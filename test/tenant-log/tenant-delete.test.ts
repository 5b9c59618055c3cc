/**
 * Deleting a tenant removes everything it owns: D1 rows (tenant, endpoints, bound API keys, portal
 * sessions, task owners), its TenantLog's rows and its dispatchers' pending sets. The same id
 * created again starts empty, and no credential of the old tenant works on it.
 */
import { createExecutionContext, createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, createTenant, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";
import { tenantLogStub } from "../helpers/tenant-log";

async function d1RowsOf(tenant: string) {
  const out: Record<string, number> = {};
  const where: [string, string][] = [
    ["tenants", "id"],
    ["endpoints", "tenant_id"],
    ["api_keys", "tenant_id"],
    ["portal_sessions", "tenant_id"],
    ["task_owners", "tenant_id"],
  ];
  for (const [table, column] of where) {
    out[table] = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`)
      .bind(tenant)
      .first<{ n: number }>())!.n;
  }
  return out;
}

describe("tenant delete", () => {
  it("leaves no row in D1 and nothing in its objects; re-created, it starts empty and old credentials fail", async () => {
    const tenant = uniqueTenantId("del");
    await createTenant(tenant);
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 500 }]);
    // One delivery failed (for the recover task), one held pending a retry in the dispatcher.
    const l = await ladder({ tenant, path, endpoint: { event_types: ["a.b"], retry_policy: { schedule_s: [3600] } } });
    const failing = await ladder({
      tenant,
      path: uniquePath("/status/500"),
      endpoint: { event_types: ["c.d"], retry_policy: { schedule_s: [1] } },
    });
    await l.post({ type: "a.b", data: { secret: "old-tenant-data" } });
    await failing.post({ type: "c.d", data: {} });
    await l.runAlarm();
    await failing.runAlarm();
    await failing.advance(1000);
    await failing.runAlarm();
    expect((await failing.deliveries()).map((d) => d.status)).toContain("failed");
    const task = await api("POST", `/v1/tenants/${tenant}/endpoints/${failing.endpoint.id}/recover`, {
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(task.status).toBe(202);
    const key = (await api("POST", "/v1/api-keys", { body: { name: "bound", scopes: ["admin"], tenant_id: tenant } }))
      .body.key as string;
    const portal = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: {} })).body.token as string;
    const dlq = createMessageBatch("edgehooks-events-dlq", [
      {
        id: "x1",
        timestamp: new Date(),
        attempts: 11,
        body: {
          v: 2,
          kind: "fanout",
          tenant_id: tenant,
          event_ids: ["evt_01jd0000000000000000000000"],
          origin: "resend:x",
        },
      },
    ]);
    await worker.queue(dlq, env, createExecutionContext());
    const before = await tenantLogStub(tenant).sizes();
    for (const t of ["events", "deliveries", "attempts", "delivery_stats", "tasks", "dead_letters"])
      expect(before[t]).toBeGreaterThan(0);
    expect((await l.inspect()).pending).toHaveLength(1);

    const del = await api("DELETE", `/v1/tenants/${tenant}`);
    expect(del.status).toBe(204);
    expect(await d1RowsOf(tenant)).toEqual({
      tenants: 0,
      endpoints: 0,
      api_keys: 0,
      portal_sessions: 0,
      task_owners: 0,
    });
    const after = await tenantLogStub(tenant).sizes();
    // Only the tombstone that refuses late writes of the deleted incarnation is left.
    expect(after).toEqual({
      events: 0,
      idempotency_keys: 0,
      deliveries: 0,
      attempts: 0,
      delivery_stats: 0,
      tasks: 0,
      dead_letters: 0,
      meta: 1,
    });
    expect((await l.inspect()).pending).toHaveLength(0);
    expect((await failing.inspect()).pending).toHaveLength(0);
    expect(await l.alarmAt()).toBeNull();

    // The same id again, once CONFIG_CACHE_TTL_S has passed (until then it is 409: another
    // isolate may still cache the old keys; test/security/key-and-port-edges.test.ts), moved in D1
    // rather than waited for: empty, and nothing of the old tenant opens it.
    expect((await api("POST", "/v1/tenants", { body: { id: tenant, name: tenant } })).status).toBe(409);
    await env.DB.prepare("UPDATE tenant_tombstones SET deleted_at = deleted_at - 60000 WHERE tenant_id = ?")
      .bind(tenant)
      .run();
    await createTenant(tenant);
    for (const p of ["events", "deliveries", "attempts"])
      expect((await api("GET", `/v1/tenants/${tenant}/${p}`)).body.data).toEqual([]);
    expect((await api("GET", `/v1/tenants/${tenant}/stats`)).body.attempts.total).toBe(0);
    expect((await api("GET", `/v1/tasks/${task.body.id}`)).status).toBe(404);
    expect((await api("GET", `/v1/tenants/${tenant}/dead-letters`)).body.data).toEqual([]);
    for (const old of [key, portal]) {
      const res = await api("GET", `/v1/tenants/${tenant}/events`, { key: old });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    }
    const fresh = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    expect(fresh.status).toBe(202);
    const list = (await api("GET", `/v1/tenants/${tenant}/events`)).body.data;
    expect(list.map((e: { id: string }) => e.id)).toEqual([fresh.body.id]);
  });

  it("a write of the deleted incarnation that arrives late is refused, not stored", async () => {
    const tenant = uniqueTenantId("late");
    await createTenant(tenant);
    const row = (await env.DB.prepare("SELECT created_at FROM tenants WHERE id = ?")
      .bind(tenant)
      .first<{ created_at: number }>())!;
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    expect((await api("DELETE", `/v1/tenants/${tenant}`)).status).toBe(204);
    const stale = { id: tenant, incarnation: row.created_at, retentionDays: 30 };
    const event = {
      id: "evt_01jd000000000000000000late",
      tenantId: tenant,
      type: "a.b",
      payload: "{}",
      channels: null,
      orderingKey: null,
      deliverAt: null,
      expiresAt: null,
      idempotencyKey: null,
      createdAt: Date.now(),
      fannedOutAt: null,
    };
    expect(await tenantLogStub(tenant).append(stale, [{ event, fingerprint: "" }], Date.now())).toBe("stale_tenant");
    expect((await tenantLogStub(tenant).sizes()).events).toBe(0);
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(404);
  });
});
