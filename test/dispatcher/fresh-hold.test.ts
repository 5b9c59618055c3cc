/**
 * First attempts held in memory (src/dispatcher/fresh-hold.ts): a first attempt writes no pending
 * row; a retry, a delivery not due yet, and whatever passes the hold's bounds are written as before,
 * and every one of them is delivered. Their successes skip the outbox.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { FRESH_HOLD_BYTES, FRESH_HOLD_ROWS } from "../../src/dispatcher/fresh-hold";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { TenantLog } from "../../src/tenant-log/tenant-log";
import { api } from "../helpers/api";
import { type Ladder, ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

/** Rows of the dispatcher's pending table, and what it holds in all (table and memory). */
async function held(l: Ladder): Promise<{ table: number; all: number }> {
  const table = await runInDurableObject(
    l.stub,
    (_i: EndpointDispatcher, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n,
  );
  return { table, all: (await l.inspect()).pending.length };
}

/** Posts `n` events in batches of 100 and fans them out now (the queue's own fan-out finds nothing new). */
async function postMany(l: Ladder, n: number, data: (i: number) => unknown = (i) => ({ i })): Promise<string[]> {
  const ids: string[] = [];
  for (let from = 0; from < n; from += 100) {
    const events = Array.from({ length: Math.min(100, n - from) }, (_, i) => ({ type: "a.b", data: data(from + i) }));
    const res = await api("POST", `/v1/tenants/${l.tenant}/events/batch`, { body: { events } });
    expect(res.status).toBe(202);
    ids.push(...res.body.data.map((r: { id: string }) => r.id));
  }
  await fanOut(
    serviceCtx(env),
    ids.map((eventId) => ({ tenantId: l.tenant, eventId, origin: "" })),
  );
  return ids;
}

/** Runs the alarm until the receiver has `n` requests (each run sends up to max_in_flight). */
async function deliverAll(l: Ladder, n: number) {
  for (let run = 0; run < 100 && (await l.received()).length < n; run++) await l.runAlarm();
  expect(new Set((await l.received()).map((r) => r.headers["webhook-id"])).size).toBe(n);
}

/** Rows the dispatcher's outbox ever took (its AUTOINCREMENT high mark). */
const outboxEver = (l: Ladder) =>
  runInDurableObject(
    l.stub,
    (_i: EndpointDispatcher, state) =>
      state.storage.sql
        .exec<{ n: number | null }>("SELECT MAX(seq) AS n FROM sqlite_sequence WHERE name = 'outbox'")
        .one().n ?? 0,
  );

describe("first attempts held in memory", () => {
  it("their successes go to the log at once, not through the outbox; a failure still goes through it", async () => {
    const ok = await ladder({ path: uniquePath("/ok") });
    await ok.post({ type: "a.b", data: {} });
    await ok.runAlarm();
    const [delivered] = await ok.deliveries();
    expect(delivered.status).toBe("succeeded");
    expect(await outboxEver(ok)).toBe(0);

    const failing = await ladder({ path: uniquePath("/status/500") });
    await failing.post({ type: "a.b", data: {} });
    await failing.runAlarm();
    expect((await failing.deliveries())[0].status).toBe("pending_retry");
    expect(await outboxEver(failing)).toBe(1);
  });

  it("a success the log refuses goes to the outbox and reaches the log once it takes writes again", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await l.post({ type: "a.b", data: {} });
    const original = TenantLog.prototype.record;
    TenantLog.prototype.record = async () => {
      throw new Error("the TenantLog is unavailable (injected)");
    };
    try {
      await l.runAlarm();
    } finally {
      TenantLog.prototype.record = original;
    }
    expect(await l.received()).toHaveLength(1);
    expect(await outboxEver(l)).toBe(1);
    expect((await l.deliveries())[0].status).toBe("pending");
    await l.advance(60_000);
    await l.runAlarm(); // the outbox flush
    expect((await l.deliveries())[0].status).toBe("succeeded");
    expect(await l.received()).toHaveLength(1);
  });

  it("a first attempt writes no pending row; a failed one is written for its retry", async () => {
    const ok = await ladder({ path: uniquePath("/ok") });
    await ok.post({ type: "a.b", data: {} });
    expect(await held(ok)).toEqual({ table: 0, all: 1 });
    await ok.runAlarm();
    expect(await ok.received()).toHaveLength(1);
    expect(await held(ok)).toEqual({ table: 0, all: 0 });

    const failing = await ladder({ path: uniquePath("/status/500") });
    await failing.post({ type: "a.b", data: {} });
    expect(await held(failing)).toEqual({ table: 0, all: 1 });
    await failing.runAlarm();
    expect(await held(failing)).toEqual({ table: 1, all: 1 });
    const [row] = (await failing.inspect()).pending;
    expect(row).toMatchObject({ attempts: 1, lease_until: null });
  });

  it("a delivery due later is written, not held", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const later = (await l.now()) + 60_000;
    await l.post({ type: "a.b", data: {}, deliver_at: new Date(later).toISOString() });
    expect(await held(l)).toEqual({ table: 1, all: 1 });
  });

  it(`holds at most FRESH_HOLD_ROWS (${FRESH_HOLD_ROWS}); the rest is written, and all are delivered`, async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const n = FRESH_HOLD_ROWS + 50;
    await postMany(l, n);
    expect(await held(l)).toEqual({ table: 50, all: n });
    await deliverAll(l, n);
    expect(await held(l)).toEqual({ table: 0, all: 0 });
  });

  it(`holds at most FRESH_HOLD_BYTES (${FRESH_HOLD_BYTES}) of payloads a hand-off carries; the rest is written`, async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await l.post({ type: "warm.up", data: {} }); // the dispatcher has its endpoint snapshot
    await l.runAlarm();
    const snapshot = (await l.inspect()).endpoint!;
    const payload = JSON.stringify({ pad: "x".repeat(100_000) });
    const now = await l.now();
    // A page of hand-offs that carry their payloads (a fan-out page does while it has room).
    const items = Array.from({ length: 5 }, () => ({
      deliveryId: newId("dlv"),
      tenantId: l.tenant,
      eventId: newId("evt"),
      eventType: "a.b",
      eventCreatedAt: now,
      payload,
      orderingKey: null,
      deliverAt: null,
      expiresAt: null,
    }));
    expect(await l.stub.enqueue(snapshot, items)).toBe(5);
    // Two 100 KB payloads fit in 256 KiB, a third does not.
    expect(await held(l)).toEqual({ table: 3, all: 5 });
    await deliverAll(l, 6);
  });
});
