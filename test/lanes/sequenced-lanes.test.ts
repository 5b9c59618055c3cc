/**
 * Sequenced lanes: deliveries of one ordering key to one endpoint reach the receiver in the order
 * their events were ingested, numbered 1, 2, 3… in `webhook-sequence`, whatever order the queue,
 * concurrent consumers, a lost hand-off, the ladder, recover or replay hand them over in; other
 * keys are never held by it. Events are written into the tenant's log in ingest order without a
 * queue message of their own, and the tests hand their fan-out to the real consumer in the order
 * they choose. The dispatcher runs on a frozen clock (test/helpers/ladder.ts): only runAlarm sends.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LANE_GAP_WAIT_MS, LANE_WALK_RETRY_MS } from "../../src/dispatcher/lanes";
import { type FanoutMessages, fanoutMessage } from "../../src/domain/queue-messages";
import worker from "../../src/index";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { activeEndpoints, handOff } from "../../src/services/events/fanout";
import { ingestEvents } from "../../src/services/events/ingest";
import { tenantLogFor } from "../../src/tenant-log/client";
import { api, createTenant } from "../helpers/api";
import { type Ladder, ladder } from "../helpers/ladder";
import { received, script, uniquePath } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

let counter = 0;

/** A tenant whose log exists, with one endpoint on a frozen clock that takes `lane.*` events. */
async function laneEndpoint(path = uniquePath("/ok"), endpoint: Record<string, unknown> = {}, existing?: string) {
  const tenant = existing ?? (await createTenant());
  // The log exists once an event was ingested; this one matches no endpoint.
  await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } });
  const l = await ladder({ tenant, path, endpoint: { event_types: ["lane.*"], ...endpoint } });
  return l;
}

/** Writes events into the log in this order (their ingest order), each with its ordering key; answers their ids. */
async function ingest(tenant: string, keys: string[]): Promise<string[]> {
  const stamp = Date.now().toString(36).padStart(10, "0").slice(-10);
  const ids: string[] = [];
  for (const key of keys) {
    const id = `evt_${stamp}lan${(counter++).toString().padStart(13, "0")}`;
    await logRows(
      tenant,
      "INSERT INTO events (id, tenant_id, type, payload, ordering_key, created_at) VALUES (?, ?, 'lane.step', ?, ?, ?)",
      id,
      tenant,
      JSON.stringify({ key, id }),
      key,
      Date.now(),
    );
    ids.push(id);
  }
  return ids;
}

/** Hands messages to the real queue consumer in one batch, in this order. */
async function consume(messages: FanoutMessages[]) {
  const batch = createMessageBatch(
    "edgehooks-events",
    messages.map((body, i) => ({ id: `m${counter++}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
}

/** Runs the dispatcher's alarm until nothing more reaches the receiver (at most `runs` times). */
async function drain(l: Ladder, runs = 12) {
  let seen = -1;
  for (let i = 0; i < runs; i++) {
    await l.runAlarm();
    const now = (await received(l.path)).length;
    if (now === seen) return;
    seen = now;
  }
}

/** What the receiver got, in order: [event id, webhook-sequence, key]. */
async function arrivals(l: Ladder) {
  return (await received(l.path)).map((r) => {
    const body = JSON.parse(r.body) as { data: { key: string } };
    return [r.headers["webhook-id"], Number(r.headers["webhook-sequence"]), body.data.key] as const;
  });
}

/** Each key's arrivals as [event id, sequence] pairs. */
async function byKey(l: Ladder) {
  const out: Record<string, [string, number][]> = {};
  for (const [id, n, key] of await arrivals(l)) {
    out[key] ??= [];
    out[key].push([id!, n]);
  }
  return out;
}

/** Writes the lane's deliveries in the log and hands over only those of `handed` (the rest are lost). */
async function loseHandOff(l: Ladder, ids: string[], handed: string[]) {
  const ctx = serviceCtx(env);
  const endpoints = await activeEndpoints(ctx, l.tenant);
  const step = await tenantLogFor(env, l.tenant).fanOut(
    ids.map((eventId) => ({ eventId, origin: "" })),
    endpoints.map((e) => ({
      id: e.id,
      status: e.status,
      eventTypes: e.eventTypes,
      channels: e.channels,
      filter: null,
    })),
    Date.now(),
  );
  const keep = new Set(handed);
  const plan = { events: step.events, deliveries: step.deliveries.filter((d) => keep.has(d.eventId)) };
  await handOff(ctx, plan, new Map(endpoints.map((e) => [e.id, e])));
}

const inOrder = (ids: string[]) => ids.map((id, i) => [id, i + 1] as [string, number]);

describe("a lane keeps ingest order whatever order the queue hands the fan-out over in", () => {
  it("reversed messages: the receiver sees 1, 2, 3, 4, 5 in ingest order", async () => {
    const l = await laneEndpoint();
    const ids = await ingest(l.tenant, ["K", "K", "K", "K", "K"]);
    await consume([...ids].reverse().map((id) => fanoutMessage(l.tenant, [id])));
    await drain(l);
    expect(await byKey(l)).toEqual({ K: inOrder(ids) });
    // Recorded on each delivery, as the API shows it.
    const deliveries = await l.deliveries();
    expect(Object.fromEntries(deliveries.map((d: any) => [d.event_id, d.sequence]))).toEqual(
      Object.fromEntries(ids.map((id, i) => [id, i + 1])),
    );
  });

  it("interleaved keys in scrambled batches: each key in order, and a key whose head fails holds no other key", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 503 }]); // A1's first attempt fails
    const l = await laneEndpoint(path, { retry_policy: { schedule_s: [30] } });
    const [a1, b1, a2, b2, a3, b3] = await ingest(l.tenant, ["A", "B", "A", "B", "A", "B"]);
    await consume([fanoutMessage(l.tenant, [b3!, a1!]), fanoutMessage(l.tenant, [a3!, b1!])]);
    await consume([fanoutMessage(l.tenant, [a2!, b2!])]);
    await drain(l);
    // A waits behind its failed head; B goes through whole.
    const first = await byKey(l);
    expect(first.B).toEqual(inOrder([b1!, b2!, b3!]));
    expect(first.A).toEqual([[a1!, 1]]);
    await l.advance(30_000);
    await drain(l);
    expect((await byKey(l)).A).toEqual([[a1!, 1], ...inOrder([a1!, a2!, a3!])]);
    // The log filters by key: one lane, its N on each delivery.
    const lane = await api("GET", `/v1/tenants/${l.tenant}/deliveries?ordering_key=A`);
    expect(lane.body.data.map((d: any) => [d.event_id, d.sequence]).reverse()).toEqual(inOrder([a1!, a2!, a3!]));
  });

  it("two consumers at once, each with part of the lane in reverse: one lane, in order", async () => {
    const l = await laneEndpoint();
    const ids = await ingest(l.tenant, Array(8).fill("K"));
    const rev = [...ids].reverse();
    await Promise.all([
      consume(rev.slice(0, 4).map((id) => fanoutMessage(l.tenant, [id]))),
      consume(rev.slice(4).map((id) => fanoutMessage(l.tenant, [id]))),
    ]);
    await drain(l, 20);
    expect(await byKey(l)).toEqual({ K: inOrder(ids) });
  });
});

describe("a delivery the dispatcher was never handed", () => {
  it("is re-handed by the sweeper, and the lane waits for it rather than skipping it", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3, e4] = await ingest(l.tenant, ["K", "K", "K", "K"]);
    await loseHandOff(l, [e1!], [e1!]);
    await drain(l);
    await loseHandOff(l, [e2!, e3!, e4!], [e3!, e4!]);
    await drain(l);
    expect(await byKey(l)).toEqual({ K: [[e1!, 1]] }); // 3 and 4 wait for 2
    // The sweeper's orphan pass hands 1 over again (its grace is past for a delivery this old).
    const later = Date.now() + 3600_000;
    const swept = await sweepTenant(serviceCtx(env), l.tenant, later);
    expect(swept.rehanded).toBeGreaterThanOrEqual(1);
    await drain(l);
    expect(await byKey(l)).toEqual({ K: inOrder([e1!, e2!, e3!, e4!]) });
  });

  it("is fetched from the log once the lane waited LANE_GAP_WAIT_MS, without the sweeper", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3] = await ingest(l.tenant, ["K", "K", "K"]);
    await loseHandOff(l, [e1!], [e1!]);
    await drain(l);
    await loseHandOff(l, [e2!, e3!], [e3!]);
    await drain(l);
    expect(await byKey(l)).toEqual({ K: [[e1!, 1]] });
    // The dispatcher comes back for the waiting lane by itself.
    expect(await l.alarmAt()).toBe((await l.now()) + LANE_GAP_WAIT_MS);
    await l.advance(LANE_GAP_WAIT_MS);
    await drain(l, 20);
    expect(await byKey(l)).toEqual({ K: inOrder([e1!, e2!, e3!]) });
  });

  it("a lane new to the dispatcher asks the log at once for what comes before its first arrival", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3] = await ingest(l.tenant, ["K", "K", "K"]);
    await loseHandOff(l, [e1!, e2!, e3!], [e3!]);
    expect(await l.alarmAt()).toBe((await l.now()) + LANE_WALK_RETRY_MS);
    await drain(l, 20);
    expect(await byKey(l)).toEqual({ K: inOrder([e1!, e2!, e3!]) });
  });

  it("cancelled before it was handed: the lane steps over it, and the gap shows in N", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3] = await ingest(l.tenant, ["K", "K", "K"]);
    await loseHandOff(l, [e1!, e2!, e3!], [e1!, e3!]);
    const d2 = (await l.deliveries(e2)).find((d: any) => d.sequence === 2);
    expect((await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d2.id}/cancel`)).status).toBe(200);
    // Once 1 settles, the gap before 3 is asked about at once: 2 is cancelled in the log, never attempted.
    await drain(l);
    expect(await byKey(l)).toEqual({
      K: [
        [e1!, 1],
        [e3!, 3],
      ],
    });
  });
});

describe("what this dispatcher let go, as the walk reads it", () => {
  it("a delivery cancelled here is stepped over, not taken as the end of what came before", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3, e4] = await ingest(l.tenant, ["K", "K", "K", "K"]);
    await loseHandOff(l, [e1!], [e1!]);
    await drain(l);
    await loseHandOff(l, [e2!, e3!, e4!], [e3!, e4!]); // 2 is lost
    const d3 = (await l.deliveries(e3)).find((d: any) => d.sequence === 3);
    expect((await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d3.id}/cancel`)).status).toBe(200);
    await l.advance(LANE_GAP_WAIT_MS);
    await drain(l, 20);
    expect(await byKey(l)).toEqual({
      K: [
        [e1!, 1],
        [e2!, 2],
        [e4!, 4],
      ],
    });
  });

  it("a manual retry goes at once, and its success does not let the deliveries after it skip the one before", async () => {
    const l = await laneEndpoint();
    const [e1, e2, e3, e4] = await ingest(l.tenant, ["K", "K", "K", "K"]);
    await loseHandOff(l, [e1!], [e1!]);
    await drain(l);
    await loseHandOff(l, [e2!, e3!], [e3!]); // 2 is lost; 3 waits for it
    const d3 = (await l.deliveries(e3)).find((d: any) => d.sequence === 3);
    expect((await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d3.id}/retry`)).status).toBe(200);
    await loseHandOff(l, [e4!], [e4!]);
    await l.advance(LANE_GAP_WAIT_MS);
    await drain(l, 20);
    expect(await byKey(l)).toEqual({
      K: [
        [e1!, 1],
        [e3!, 3],
        [e2!, 2],
        [e4!, 4],
      ],
    });
  });

  it("a key unused for several segments continues its N from the last segment that had it", async () => {
    const tenant = `lanes-${Date.now().toString(36)}-${counter++}`;
    expect((await api("POST", "/v1/tenants", { body: { id: tenant, name: "Lanes" } })).status).toBe(201);
    const l = await laneEndpoint(uniquePath("/ok"), {}, tenant);
    const ctx = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "3" });
    const post = async (key: string) => {
      const [r] = await ingestEvents(ctx, tenant, [{ input: { type: "lane.step", data: { key }, ordering_key: key } }]);
      if (!r || !("event" in r)) throw new Error(`not stored: ${JSON.stringify(r)}`);
      return r.event.id;
    };
    const k1 = await post("K");
    const k2 = await post("K");
    for (let i = 0; i < 15; i++) await post(`other-${i}`); // five more segments without K
    const k3 = await post("K");
    expect(k3.split(".")[1]).not.toBe(k2.split(".")[1]);
    await consume([fanoutMessage(tenant, [k3]), fanoutMessage(tenant, [k2, k1])]);
    await drain(l, 40);
    expect((await byKey(l)).K).toEqual(inOrder([k1, k2, k3]));
  });
});

describe("retries, recover and replay in the middle of a lane", () => {
  it("a failing first delivery holds its key through its retries; the next go after it with their own N", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 502 }]);
    const l = await laneEndpoint(path, { retry_policy: { schedule_s: [10, 20] } });
    const ids = await ingest(l.tenant, ["K", "K", "K"]);
    await consume([fanoutMessage(l.tenant, ids)]);
    await drain(l);
    await l.advance(10_000);
    await drain(l);
    expect((await arrivals(l)).map(([id, n]) => [id, n])).toEqual([
      [ids[0], 1],
      [ids[0], 1],
    ]);
    await l.advance(20_000);
    await drain(l);
    expect((await arrivals(l)).map(([id, n]) => [id, n])).toEqual([[ids[0], 1], [ids[0], 1], ...inOrder(ids)]);
  });

  it("recover re-sends a failed delivery with its N, ahead of the lane's waiting tail and in order", async () => {
    const path = uniquePath("/scripted");
    // 1 ok; 2 fails twice (exhausted); 3 ok; 4 fails once (waits for its retry); 5 waits behind it.
    await script(path, [{ status: 200 }, { status: 500 }, { status: 500 }, { status: 200 }, { status: 500 }]);
    const l = await laneEndpoint(path, { retry_policy: { schedule_s: [5] } });
    const ids = await ingest(l.tenant, ["K", "K", "K"]);
    await consume([fanoutMessage(l.tenant, ids)]);
    await drain(l);
    await l.advance(5_000);
    await drain(l); // 2 exhausted, then 3
    const more = await ingest(l.tenant, ["K", "K"]);
    await consume([fanoutMessage(l.tenant, more)]);
    await drain(l); // 4 fails once and waits 5 s; 5 waits behind it
    const res = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, {
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(res.status).toBe(202);
    await drain(l); // the recovered 2 goes at once: 4 is not in flight and 2 is behind the lane's tail
    await l.advance(5_000);
    await drain(l);
    const seqs = (await arrivals(l)).map(([, n]) => n);
    expect(seqs).toEqual([1, 2, 2, 3, 4, 2, 4, 5]);
  });

  it("a replay of the lane's first deliveries keeps their N and goes before what waits", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 200 }, { status: 200 }, { status: 500 }]);
    const l = await laneEndpoint(path, { retry_policy: { schedule_s: [5] } });
    const ids = await ingest(l.tenant, ["K", "K", "K"]);
    await consume([fanoutMessage(l.tenant, ids)]);
    await drain(l); // 1, 2 ok; 3 fails once and waits for its retry
    const res = await api("POST", `/v1/tenants/${l.tenant}/replays`, {
      body: {
        mode: "retry",
        endpoint_ids: [l.endpoint.id],
        statuses: ["succeeded"],
        since: new Date(Date.now() - 3600_000).toISOString(),
      },
    });
    expect(res.status).toBe(202);
    await drain(l);
    await l.advance(5_000);
    await drain(l);
    expect((await arrivals(l)).map(([id, n]) => [id, n])).toEqual([
      [ids[0], 1],
      [ids[1], 2],
      [ids[2], 3],
      [ids[0], 1],
      [ids[1], 2],
      [ids[2], 3],
    ]);
  });
});

describe("a lane across segments and shards", () => {
  it("continues its N over rollovers of a 4-shard log, fanned out newest segment first", async () => {
    const tenant = `lanes-${Date.now().toString(36)}-${counter++}`;
    const made = await api("POST", "/v1/tenants", { body: { id: tenant, name: "Lanes", log_shards: 4 } });
    expect(made.status).toBe(201);
    const l = await laneEndpoint(uniquePath("/ok"), {}, tenant);
    // Shards of 3 events each: 14 events of two keys roll over at least twice.
    const ctx = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "3" });
    const ids: Record<string, string[]> = { K: [], J: [] };
    for (const key of ["K", "J", "K", "K", "J", "K", "J", "K", "J", "K", "K", "J", "J", "K"]) {
      const [r] = await ingestEvents(ctx, tenant, [{ input: { type: "lane.step", data: { key }, ordering_key: key } }]);
      if (!r || !("event" in r)) throw new Error(`not stored: ${JSON.stringify(r)}`);
      ids[key]!.push(r.event.id);
    }
    const all = [...ids.K!, ...ids.J!].sort().reverse();
    const segmentsUsed = new Set(all.map((id) => id.split(".")[1]?.split("~")[0] ?? "0"));
    expect(segmentsUsed.size).toBeGreaterThanOrEqual(3);
    await consume(all.map((id) => fanoutMessage(tenant, [id])));
    await drain(l, 30);
    expect(await byKey(l)).toEqual({ K: inOrder(ids.K!), J: inOrder(ids.J!) });
  });
});

describe("what a lane does not touch", () => {
  it("events without a key carry no webhook-sequence and never wait", async () => {
    const l = await laneEndpoint();
    const res = await api("POST", `/v1/tenants/${l.tenant}/events`, { body: { type: "lane.free", data: {} } });
    await consume([fanoutMessage(l.tenant, [res.body.id])]);
    await drain(l);
    const [got] = await received(l.path);
    expect(got!.headers["webhook-sequence"]).toBeUndefined();
    expect((await l.deliveries(res.body.id))[0].sequence).toBeNull();
  });
});
