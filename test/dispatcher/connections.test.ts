/**
 * Workers open at most 6 connections per invocation; a 7th fetch waits for one to close. The
 * dispatcher therefore runs at most 6 attempts at once per invocation (max_in_flight stays the
 * endpoint's cap on attempts in flight), and an attempt's clock (its start, its signature
 * timestamp, its timeout) starts when it has a connection, not while it waits for one.
 * Counted at the receiver, which holds each request until the test releases it: no timing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConnectionSlots } from "../../src/attempts/connection-slots";
import { resolveEndpoint } from "../../src/attempts/endpoint-snapshot";
import { sendAttempt } from "../../src/attempts/send-attempt";
import { readConfig } from "../../src/config";
import { serviceCtx } from "../../src/services/context";
import { getEndpoint } from "../../src/services/endpoints";
import { fanOut } from "../../src/services/events/fanout";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { heldAt, received, release, uniquePath } from "../helpers/receiver";

/** Polls the receiver until `done` holds (bounded; the dispatcher runs in its own invocation). */
async function until(path: string, done: (h: { held: number; max: number }) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const h = await heldAt(path);
    if (done(h)) return h;
    if (Date.now() > deadline) throw new Error(`receiver at ${path}: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("attempts per invocation", () => {
  it("at most 6 at once, even with max_in_flight 20; all 20 delivered in the same run", async () => {
    const path = uniquePath("/held");
    const l = await ladder({ path, endpoint: { max_in_flight: 20, timeout_ms: 30_000 } });
    const res = await api("POST", `/v1/tenants/${l.tenant}/events/batch`, {
      body: { events: Array.from({ length: 20 }, (_, i) => ({ type: "a.b", data: { i } })) },
    });
    await fanOut(
      serviceCtx(env),
      res.body.data.map((r: { id: string }) => ({ tenantId: l.tenant, eventId: r.id, origin: "" })),
    );

    const run = l.runAlarm();
    let answered = 0;
    while (answered < 20) {
      // Wait for as many as may run at once, then answer them: the next ones follow.
      const { held } = await until(path, (h) => h.held >= Math.min(6, 20 - answered));
      await release(path);
      answered += held;
    }
    await run;
    expect((await heldAt(path)).max).toBe(6);
    expect(await received(path)).toHaveLength(20);
    const statuses = (
      await api("GET", `/v1/tenants/${l.tenant}/deliveries?endpoint_id=${l.endpoint.id}&limit=100`)
    ).body.data.map((d: { status: string }) => d.status);
    expect(statuses).toEqual(Array(20).fill("succeeded"));
  });

  it("an attempt that waits for a connection starts its clock when it has one", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const row = await getEndpoint(serviceCtx(env), l.tenant, l.endpoint.id);
    const endpoint = await resolveEndpoint(env, row, Date.now());
    const slots = new ConnectionSlots(1);
    const taken = await slots.acquire();
    let clock = 1_000_000_000_000;
    const attempt = sendAttempt({
      endpoint,
      event: { id: "evt_01jd0000000000000000000001", type: "a.b", createdAt: clock, payload: "{}" },
      number: 1,
      trigger: "scheduled",
      config: readConfig(env),
      now: () => clock,
      connections: slots,
    });
    // Time passes while every connection is taken; then one frees up.
    clock += 60_000;
    taken();
    const result = await attempt;
    expect(result).toMatchObject({ ok: true, startedAt: 1_000_000_060_000 });
    const [got] = await l.received();
    expect(got!.headers["webhook-timestamp"]).toBe("1000000060");
  });
});
