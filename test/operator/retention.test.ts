/** Retention: the cron purges exactly what is older than RETENTION_DAYS, in bounded batches. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runScheduled } from "../../src/jobs/scheduled";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";

const DAY = 24 * 3600_000;

async function count(table: string, tenant: string) {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE tenant_id = ?`).bind(tenant).first<{ n: number }>();
  return row!.n;
}

describe("retention purge", () => {
  it("removes events, deliveries and attempts older than the retention window, and nothing newer", async () => {
    const tenant = await createTenant();
    await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    for (let i = 0; i < 3; i++) await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { i } } });
    await eventually(() => count("attempts", tenant), (n) => n === 3);

    // Age two of the three events (with their deliveries and attempts) past 30 days.
    const old = Date.now() - 31 * DAY;
    const aged = await env.DB.prepare("SELECT id FROM events WHERE tenant_id = ? ORDER BY id LIMIT 2").bind(tenant).all<{ id: string }>();
    const agedIds = aged.results.map((r) => r.id);
    for (const id of agedIds) {
      await env.DB.batch([
        env.DB.prepare("UPDATE events SET created_at = ? WHERE id = ?").bind(old, id),
        env.DB.prepare("UPDATE deliveries SET created_at = ? WHERE event_id = ?").bind(old, id),
        env.DB.prepare("UPDATE attempts SET started_at = ? WHERE event_id = ?").bind(old, id),
      ]);
    }

    const result = await runScheduled(env, Date.now());
    // Other test files share this database: the purge removes at least ours, and ours exactly.
    expect(result.events).toBeGreaterThanOrEqual(2);
    expect(result.deliveries).toBeGreaterThanOrEqual(2);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(await count("events", tenant)).toBe(1);
    expect(await count("deliveries", tenant)).toBe(1);
    expect(await count("attempts", tenant)).toBe(1);
    const left = await env.DB.prepare("SELECT id FROM events WHERE tenant_id = ?").bind(tenant).first<{ id: string }>();
    expect(agedIds).not.toContain(left!.id);

    // A second run finds nothing more of ours to remove.
    await runScheduled(env, Date.now());
    expect(await count("events", tenant)).toBe(1);
  });

  it("the sweeper re-queues an event whose fan-out never ran", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    // An event written without its queue message (as if the isolate died in between).
    const id = "evt_01jd00000000000000000sweep";
    await env.DB.prepare("INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)")
      .bind(id, tenant, Date.now() - 10 * 60_000)
      .run();
    const result = await runScheduled(env, Date.now());
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    const { waitForReceived } = await import("../helpers/receiver");
    const [got] = await waitForReceived(path);
    expect(got!.headers["webhook-id"]).toBe(id);
  });
});
