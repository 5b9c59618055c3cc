/**
 * A hot tenant's log segments split over k hash shards (src/tenant-log/segments.ts): with
 * `log_shards: 4` ingest (single and batch, with and without idempotency keys) spreads over the 4
 * objects of a segment, a key and its event stay in one shard (a reuse with another body still
 * conflicts), every list reads exactly by merging the shards, detail reads go to the shard the id
 * names, fan-out and outcomes land in the event's shard, stats and metrics sum the shards, a change
 * of k takes effect at a rollover, and a deleted tenant leaves nothing in any shard. k = 1 (the
 * default) names and places everything exactly as before shards.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { ingestEvent, ingestEvents } from "../../src/services/events/ingest";
import { metricsAcross } from "../../src/tenant-log/log-segments";
import { segmentName } from "../../src/tenant-log/segments";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const K = 4;

async function createTenant(logShards?: number) {
  const id = uniqueTenantId("shd");
  const res = await api("POST", "/v1/tenants", {
    body: { id, name: `Tenant ${id}`, ...(logShards ? { log_shards: logShards } : {}) },
  });
  expect({ status: res.status, shards: res.body.log_shards }).toEqual({ status: 201, shards: logShards ?? 1 });
  return id;
}

const shard = (tenant: string, n: number, j: number) => env.TENANT_LOG.getByName(segmentName(tenant, n, j));

/** Events held by each shard of segment `n`. */
async function eventsPerShard(tenant: string, n: number, k = K): Promise<number[]> {
  return Promise.all(Array.from({ length: k }, async (_, j) => (await shard(tenant, n, j).sizes()).events ?? 0));
}

/** The shard an id names: `~<j>` after its segment, none for shard 0. */
const shardOfId = (id: string) => Number(/~(\d+)$/.exec(id)?.[1] ?? 0);

async function listAll(tenant: string, resource: string, limit: number, from?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor = from, pages = 0; ; pages++) {
    expect(pages).toBeLessThan(200);
    const res = await api(
      "GET",
      `/v1/tenants/${tenant}/${resource}?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
    ids.push(...res.body.data.map((e: { id: string }) => e.id));
    if (!res.body.next_cursor) return ids;
    cursor = res.body.next_cursor;
  }
}

const newestFirst = (ids: string[]) => [...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));

async function range(tenant: string) {
  return (await env.DB.prepare(
    "SELECT log_first_segment AS first, log_current_segment AS current, log_shards AS k, log_shard_history AS history FROM tenants WHERE id = ?",
  )
    .bind(tenant)
    .first<{ first: number; current: number; k: number; history: string }>())!;
}

describe("a hot tenant on 4 shards", () => {
  it("ingest, single and batch, keyed and not, spreads over the 4 objects; a key stays with its event; every list reads exactly", async () => {
    const tenant = await createTenant(K);
    const ctx = serviceCtx(env);
    const written: string[] = [];
    for (let i = 0; i < 20; i++)
      written.push((await ingestEvent(ctx, tenant, { type: "shd.one", data: { i } })).event.id);
    const keyed: { key: string; id: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const key = `single-${i}`;
      const { event } = await ingestEvent(ctx, tenant, { type: "shd.key", data: { i } }, key);
      keyed.push({ key, id: event.id });
      written.push(event.id);
    }
    const batch = await ingestEvents(
      ctx,
      tenant,
      Array.from({ length: 40 }, (_, i) => ({
        input: { type: "shd.batch", data: { i }, ...(i % 2 ? { id: `batch-${i}` } : {}) },
      })),
    );
    for (const r of batch) {
      if (!("event" in r)) throw new Error(`not stored: ${JSON.stringify(r)}`);
      written.push(r.event.id);
    }
    expect(new Set(written).size).toBe(80);

    // Spread: every shard holds some, together exactly the 80, each row in the shard its id names.
    const per = await eventsPerShard(tenant, 0);
    expect(per.every((n) => n > 0)).toBe(true);
    expect(per.reduce((a, b) => a + b, 0)).toBe(80);
    for (let j = 0; j < K; j++) expect(written.filter((id) => shardOfId(id) === j)).toHaveLength(per[j]!);
    expect(new Set(written.map(shardOfId)).size).toBe(K);
    // Nothing was written to any other object of the log (segment 1, a shard past k).
    expect((await shard(tenant, 1, 0).sizes()).events).toBe(0);
    expect((await shard(tenant, 0, K).sizes()).events).toBe(0);

    // A key repeats its event from its shard, and conflicts with another body, alone or in a batch.
    for (const { key, id } of keyed.slice(0, 8)) {
      const i = Number(key.split("-")[1]);
      const again = await ingestEvent(ctx, tenant, { type: "shd.key", data: { i } }, key);
      expect({ created: again.created, id: again.event.id }).toEqual({ created: false, id });
      const conflict = await ingestEvent(ctx, tenant, { type: "shd.key", data: { i: -1 } }, key).catch(
        (e: unknown) => e,
      );
      expect(conflict).toBeInstanceOf(ApiError);
      expect((conflict as ApiError).code).toBe("conflict");
    }
    const batchAgain = await ingestEvents(ctx, tenant, [
      { input: { type: "shd.batch", data: { i: 1 }, id: "batch-1" } },
      { input: { type: "shd.batch", data: { i: 999 }, id: "batch-3" } },
    ]);
    expect(batchAgain[0]).toMatchObject({ created: false, event: { id: written[41] } });
    expect(batchAgain[1]).toEqual({ conflict: "batch-3" });
    expect((await eventsPerShard(tenant, 0)).reduce((a, b) => a + b, 0)).toBe(80);

    // Lists merge the shards: exactly the 80, newest id first, whatever the page size.
    const expected = newestFirst(written);
    expect(await listAll(tenant, "events", 7)).toEqual(expected);
    expect(await listAll(tenant, "events", 100)).toEqual(expected);
    // A cursor taken, then more events in every shard, then the rest: exactly the older ones.
    const first = await api("GET", `/v1/tenants/${tenant}/events?limit=30`);
    for (let i = 0; i < 12; i++) await ingestEvent(ctx, tenant, { type: "shd.later", data: { i } });
    const rest = await listAll(tenant, "events", 9, first.body.next_cursor);
    expect([...first.body.data.map((e: { id: string }) => e.id), ...rest]).toEqual(expected);
    // A filter reads every shard too.
    const filtered = await api("GET", `/v1/tenants/${tenant}/events?type=shd.key&limit=100`);
    expect(filtered.body.data.map((e: { id: string }) => e.id)).toEqual(newestFirst(keyed.map((k) => k.id)));

    // Detail by id goes to the shard the id names.
    for (const j of [0, 1, 2, 3]) {
      const id = written.find((w) => shardOfId(w) === j)!;
      const detail = await api("GET", `/v1/tenants/${tenant}/events/${id}`);
      expect({ status: detail.status, id: detail.body.id }).toEqual({ status: 200, id });
    }
  });

  it("fan-out and outcomes land in each event's shard; deliveries, attempts, stats and metrics read across the shards", async () => {
    const l = await ladder({ path: uniquePath("/status/200"), tenant: await createTenant(K) });
    const ctx = serviceCtx(env);
    const events: string[] = [];
    for (let i = 0; i < 16; i++) {
      const { event } = await ingestEvent(
        ctx,
        l.tenant,
        { type: "shd.out", data: { i } },
        i % 2 ? `out-${i}` : undefined,
      );
      events.push(event.id);
    }
    await fanOut(
      ctx,
      events.map((eventId) => ({ tenantId: l.tenant, eventId, origin: "" })),
    );
    while (await l.runAlarm()) {
      if ((await l.received()).length >= 16) break;
    }
    expect(new Set((await l.received()).map((r) => r.headers["webhook-id"]))).toEqual(new Set(events));
    // Each shard holds its events' deliveries and attempts, and nothing else.
    for (let j = 0; j < K; j++) {
      const mine = events.filter((id) => shardOfId(id) === j).length;
      const sizes = await shard(l.tenant, 0, j).sizes();
      expect({ j, events: sizes.events, deliveries: sizes.deliveries, attempts: sizes.attempts }).toEqual({
        j,
        events: mine,
        deliveries: mine,
        attempts: mine,
      });
    }
    const deliveries = (await api("GET", `/v1/tenants/${l.tenant}/deliveries?limit=100`)).body.data as {
      id: string;
      event_id: string;
      status: string;
    }[];
    expect(deliveries).toHaveLength(16);
    for (const d of deliveries) {
      expect(d.status).toBe("succeeded");
      expect(shardOfId(d.id)).toBe(shardOfId(d.event_id));
    }
    const deliveryIds = deliveries.map((d) => d.id);
    expect(deliveryIds).toEqual(newestFirst(deliveryIds));
    expect(await listAll(l.tenant, "deliveries", 3)).toEqual(deliveryIds);
    const attempts = await listAll(l.tenant, "attempts", 5);
    expect(attempts).toHaveLength(16);
    expect(attempts).toEqual(newestFirst(attempts));
    for (const d of deliveries.slice(0, 4)) {
      const detail = await api("GET", `/v1/tenants/${l.tenant}/deliveries/${d.id}`);
      expect({ status: detail.status, attempts: detail.body.attempts?.length }).toEqual({ status: 200, attempts: 1 });
      expect(shardOfId(detail.body.attempts[0].id)).toBe(shardOfId(d.id));
    }
    const stats = await api("GET", `/v1/tenants/${l.tenant}/stats`);
    expect({ succeeded: stats.body.deliveries.succeeded, attempts: stats.body.attempts.total }).toEqual({
      succeeded: 16,
      attempts: 16,
    });
    const metrics = await metricsAcross(env, l.tenant);
    expect(metrics.endpoints.map((e) => ({ succeeded: e.succeeded, ok: e.attemptsOk }))).toEqual([
      { succeeded: 16, ok: 16 },
    ]);
  });

  it("a change of log_shards takes effect at the next rollover; keys keep their events across it; lists stay exact", async () => {
    const tenant = await createTenant();
    const small = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "10" });
    const before: string[] = [];
    for (let i = 0; i < 10; i++)
      before.push((await ingestEvent(small, tenant, { type: "shd.k", data: { i } }, `k-${i}`)).event.id);
    const patched = await api("PATCH", `/v1/tenants/${tenant}`, { body: { log_shards: K } });
    expect({ status: patched.status, shards: patched.body.log_shards }).toEqual({ status: 200, shards: K });
    expect(await range(tenant)).toEqual({ first: 0, current: 0, k: K, history: "[]" });
    // Segment 0 is full: the next events roll over into segment 1, which opens with 4 shards.
    const after: string[] = [];
    const batch = await ingestEvents(
      small,
      tenant,
      Array.from({ length: 10 }, (_, i) => ({ input: { type: "shd.k", data: { i: 100 + i } } })),
    );
    for (const r of batch) if ("event" in r) after.push(r.event.id);
    expect(after).toHaveLength(10);
    expect(await range(tenant)).toMatchObject({ current: 1, history: JSON.stringify([[1, K]]) });
    expect(before.every((id) => !id.includes("."))).toBe(true);
    expect(after.every((id) => /\.1(~\d+)?$/.test(id))).toBe(true);
    expect((await eventsPerShard(tenant, 1)).reduce((a, b) => a + b, 0)).toBe(10);
    expect((await eventsPerShard(tenant, 1)).filter((n) => n > 0).length).toBeGreaterThan(1);
    // Segment 0's keys still answer their events from the k = 1 segment.
    const again = await ingestEvent(small, tenant, { type: "shd.k", data: { i: 3 } }, "k-3");
    expect({ created: again.created, id: again.event.id }).toEqual({ created: false, id: before[3] });
    const conflict = await ingestEvent(small, tenant, { type: "shd.k", data: { i: -3 } }, "k-3").catch(
      (e: unknown) => e,
    );
    expect((conflict as ApiError).code).toBe("conflict");
    expect(await listAll(tenant, "events", 4)).toEqual([...newestFirst(after), ...newestFirst(before)]);
  });

  it("a key used in a sharded segment keeps its event across a rollover into the next one", async () => {
    const tenant = await createTenant(K);
    const small = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "2" });
    const first = await ingestEvent(small, tenant, { type: "shd.roll", data: { n: 1 } }, "roll-key");
    for (let i = 0; i < 30; i++) await ingestEvent(small, tenant, { type: "shd.fill", data: { i } });
    expect((await range(tenant)).current).toBeGreaterThanOrEqual(1);
    const again = await ingestEvent(small, tenant, { type: "shd.roll", data: { n: 1 } }, "roll-key");
    expect({ created: again.created, id: again.event.id }).toEqual({ created: false, id: first.event.id });
    const conflict = await ingestEvent(small, tenant, { type: "shd.roll", data: { n: 2 } }, "roll-key").catch(
      (e: unknown) => e,
    );
    expect((conflict as ApiError).code).toBe("conflict");
    const all = await listAll(tenant, "events", 6);
    expect(all).toHaveLength(31);
    expect(all.filter((id) => id === first.event.id)).toHaveLength(1);
  });

  it("only an operator key sets log_shards, within 1..16", async () => {
    const tenant = await createTenant();
    const bad = await api("PATCH", `/v1/tenants/${tenant}`, { body: { log_shards: 17 } });
    expect(bad.status).toBe(400);
    const zero = await api("POST", "/v1/tenants", { body: { name: "x", log_shards: 0 } });
    expect(zero.status).toBe(400);
    const key = await api("POST", "/v1/api-keys", { body: { name: "bound", scopes: ["admin"], tenant_id: tenant } });
    expect(key.status).toBe(201);
    const res = await api("PATCH", `/v1/tenants/${tenant}`, { body: { log_shards: 2 }, key: key.body.key });
    expect(res.status).toBe(403);
    expect((await range(tenant)).k).toBe(1);
  });

  it("retention drops each shard of a closed segment on its own alarm; the range moves past the segment once all are gone", async () => {
    const tenant = await createTenant(K);
    const small = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "2" });
    // One batch into the empty shards of segment 0 (an empty shard takes any request), then one
    // more event: its shard is full, so the whole segment closes and the log rolls over.
    const old = await ingestEvents(
      small,
      tenant,
      Array.from({ length: 40 }, (_, i) => ({ input: { type: "shd.old", data: { i } } })),
    );
    expect((await eventsPerShard(tenant, 0)).every((n) => n > 0)).toBe(true);
    const fresh = (await ingestEvent(small, tenant, { type: "shd.new", data: {} })).event.id;
    expect(await range(tenant)).toMatchObject({ first: 0, current: 1 });
    expect(fresh).toMatch(/\.1(~\d+)?$/);
    for (let j = 0; j < K; j++) {
      await runInDurableObject(shard(tenant, 0, j), (_i: TenantLog, state) => {
        state.storage.sql.exec("UPDATE events SET created_at = created_at - 40 * 86400000");
      });
    }
    for (let j = 0; j < K; j++) {
      // Until the last shard goes, readers still visit the segment (a later shard may hold newer rows).
      expect((await range(tenant)).first).toBe(0);
      expect(await runDurableObjectAlarm(shard(tenant, 0, j))).toBe(true);
      expect((await shard(tenant, 0, j).sizes()).events).toBe(0);
    }
    expect(await range(tenant)).toMatchObject({ first: 1, current: 1 });
    expect(old.length).toBe(40);
    expect(await listAll(tenant, "events", 10)).toEqual([fresh]);
  });

  it("the sweep of a shard, asked for by the shard's own name, re-queues its event whose fan-out never ran, in that shard", async () => {
    const tenant = await createTenant(K);
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const id = "evt_01jd00000000000000000sweep.0~2";
    await runInDurableObject(shard(tenant, 0, 2), (_i: TenantLog, state) => {
      state.storage.sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
        id,
        tenant,
        Date.now() - 10 * 60_000,
      );
    });
    const result = await sweepTenant(serviceCtx(env), segmentName(tenant, 0, 2), Date.now());
    expect(result.requeued).toBe(1);
    const got = await waitForReceived(path, 1);
    expect(got.map((r) => r.headers["webhook-id"])).toContain(id);
    const deliveries = (await api("GET", `/v1/tenants/${tenant}/deliveries?event_id=${id}`)).body.data;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].id.endsWith(".0~2")).toBe(true);
    expect((await shard(tenant, 0, 2).sizes()).deliveries).toBe(1);
  });

  it("a deleted tenant leaves nothing in any shard", async () => {
    const tenant = await createTenant(K);
    const ctx = serviceCtx(env);
    await ingestEvents(
      ctx,
      tenant,
      Array.from({ length: 24 }, (_, i) => ({ input: { type: "shd.del", data: { i }, id: `del-${i}` } })),
    );
    expect((await eventsPerShard(tenant, 0)).reduce((a, b) => a + b, 0)).toBe(24);
    expect((await api("DELETE", `/v1/tenants/${tenant}`)).status).toBe(204);
    for (let j = 0; j < K; j++) {
      const sizes = await shard(tenant, 0, j).sizes();
      expect({ j, events: sizes.events, keys: sizes.idempotency_keys }).toEqual({ j, events: 0, keys: 0 });
    }
  });
});

describe("k = 1", () => {
  it("places and names everything as before shards: one object per segment, ids without a shard", async () => {
    const tenant = await createTenant();
    const ctx = serviceCtx(env);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        (await ingestEvent(ctx, tenant, { type: "shd.one", data: { i } }, i % 2 ? `one-${i}` : undefined)).event.id,
      );
    expect(ids.every((id) => /^evt_[0-9a-z]{26}$/.test(id))).toBe(true);
    expect((await env.TENANT_LOG.getByName(tenant).sizes()).events).toBe(6);
    expect((await shard(tenant, 0, 1).sizes()).events).toBe(0);
    expect(await range(tenant)).toEqual({ first: 0, current: 0, k: 1, history: "[]" });
    expect(await listAll(tenant, "events", 4)).toEqual(newestFirst(ids));
  });
});
