/**
 * A re-enabled endpoint says how many events it missed while disabled (`missed` on its enable's
 * answer and on GET), counted by the replay plan in `missing` mode over its disabled window; a
 * replay with that window sends exactly those events to the real receiver, and a second sends
 * nothing twice. The dispatchers run on frozen clocks (test/helpers/ladder.ts): only runAlarm sends.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant, eventually } from "../helpers/api";
import { type Ladder, ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

const DAY = 24 * 3600_000;

async function tenantWithTwo() {
  const tenant = await createTenant();
  const a = await ladder({ tenant, path: uniquePath("/ok") });
  // B takes `a.*` only: an event of another type is not something it missed.
  const b = await ladder({ tenant, path: uniquePath("/ok"), endpoint: { event_types: ["a.*"] } });
  return { tenant, a, b };
}

/**
 * Posts events and waits until the queue's consumer has fanned them out (A, subscribed to all,
 * has a delivery of each): a fan-out is what skips a disabled endpoint, so the test enables B
 * only once the fan-out has run, as it would in production.
 */
async function postFannedOut(tenant: string, a: Ladder, bodies: Record<string, unknown>[]) {
  const ids: string[] = [];
  for (const body of bodies) ids.push((await api("POST", `/v1/tenants/${tenant}/events`, { body })).body.id);
  await eventually(
    () => a.deliveries(),
    (list) => ids.every((id) => list.some((d: { event_id: string }) => d.event_id === id)),
  );
  return ids;
}

const getEndpoint = async (tenant: string, id: string) =>
  (await api("GET", `/v1/tenants/${tenant}/endpoints/${id}`)).body;

describe("missed while disabled", () => {
  it("enable answers exactly what was missed; replay missing sends exactly those, and nothing twice", async () => {
    const { tenant, a, b } = await tenantWithTwo();
    await a.post({ type: "a.b", data: { before: true } }); // B got this one
    const disabled = await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body).not.toHaveProperty("missed");
    expect((await getEndpoint(tenant, b.endpoint.id)).missed).toBeNull();

    const skipped = await postFannedOut(tenant, a, [
      { type: "a.b", data: { n: 1 } },
      { type: "a.c", data: { n: 2 } },
      { type: "a.b", data: { n: 3 } },
    ]);
    await postFannedOut(tenant, a, [{ type: "z.z", data: {} }]); // not B's subscription

    const enabled = await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body.status).toBe("active");
    expect(enabled.body.missed).toMatchObject({ count: 3, capped: false });
    const { since, until } = enabled.body.missed;
    // Whole seconds, around the disabled time.
    expect(since).toMatch(/T\d\d:\d\d:\d\d\.000Z$/);
    expect(until).toMatch(/T\d\d:\d\d:\d\d\.000Z$/);
    expect(Date.parse(until)).toBeGreaterThan(Date.parse(since));

    await a.post({ type: "a.b", data: { after: true } }); // B gets it: not missed
    expect((await getEndpoint(tenant, b.endpoint.id)).missed).toEqual(enabled.body.missed);
    // Never disabled: nothing to say.
    expect((await getEndpoint(tenant, a.endpoint.id)).missed).toBeNull();

    await b.runAlarm();
    const before = (await b.received()).map((r) => r.headers["webhook-id"]);
    expect(before).toHaveLength(2);

    const body = { mode: "missing", endpoint_ids: [b.endpoint.id], since, until };
    const plan = await api("POST", `/v1/tenants/${tenant}/replays`, { body: { ...body, dry_run: true } });
    expect(plan.body.total).toBe(3);
    const task = await api("POST", `/v1/tenants/${tenant}/replays`, { body });
    expect(task.status).toBe(202);
    expect(task.body.total).toBe(3);
    await b.runAlarm();
    const got = (await b.received()).map((r) => r.headers["webhook-id"]);
    expect(got.slice(2).sort()).toEqual([...skipped].sort());
    expect(got.slice(0, 2)).toEqual(before);

    // Sent: nothing is missed any more, and a second replay sends nothing twice.
    expect((await getEndpoint(tenant, b.endpoint.id)).missed).toMatchObject({ count: 0, since, until });
    const again = await api("POST", `/v1/tenants/${tenant}/replays`, { body });
    expect(again.body).toMatchObject({ total: 0, status: "completed" });
    await b.runAlarm();
    expect(await b.received()).toHaveLength(5);
  });

  it("a disabled time longer than one replay window is capped to its first 7 days", async () => {
    const { tenant, b } = await tenantWithTwo();
    await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    const disabledAt = Math.floor(Date.now() / 1000) * 1000 - 8 * DAY;
    await env.DB.prepare("UPDATE endpoints SET disabled_at = ? WHERE id = ?").bind(disabledAt, b.endpoint.id).run();
    const enabled = await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/enable`);
    expect(enabled.body.missed).toEqual({
      count: 0,
      since: new Date(disabledAt).toISOString(),
      until: new Date(disabledAt + 7 * DAY).toISOString(),
      capped: true,
    });
    // The window it names is one a replay accepts.
    const { since, until } = enabled.body.missed;
    const plan = await api("POST", `/v1/tenants/${tenant}/replays`, {
      body: { mode: "missing", endpoint_ids: [b.endpoint.id], since, until, dry_run: true },
    });
    expect(plan.status).toBe(200);
  });

  it("enabling through PATCH records the window too; disabling again says nothing until the next enable", async () => {
    const { tenant, a, b } = await tenantWithTwo();
    await api("PATCH", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}`, { body: { disabled: true } });
    await postFannedOut(tenant, a, [{ type: "a.b", data: {} }]);
    await api("PATCH", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}`, { body: { disabled: false } });
    expect((await getEndpoint(tenant, b.endpoint.id)).missed).toMatchObject({ count: 1 });
    await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    expect((await getEndpoint(tenant, b.endpoint.id)).missed).toBeNull();
  });
});
