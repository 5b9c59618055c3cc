/**
 * A tenant's log as a series of segments (src/tenant-log/segments.ts): with
 * TENANT_LOG_SEGMENT_MAX_EVENTS lowered for the writes, a log spread over many segments reads
 * exactly through the API (cursors stable across a rollover), an idempotency key keeps its event
 * across a rollover, retention drops whole segments, a deleted tenant leaves nothing in any of
 * them, and a log written before segments stays readable as its tenant's first segment.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { ingestEvent, ingestEvents } from "../../src/services/events/ingest";
import { metricsAcross, SEGMENTS_PER_PAGE } from "../../src/tenant-log/log-segments";
import { segmentName } from "../../src/tenant-log/segments";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, script, uniquePath, waitForReceived } from "../helpers/receiver";

/** Writes as a deployment with small segments would: the reads need no setting (the range is on the tenant row). */
const smallSegments = (maxEvents: number) => serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: String(maxEvents) });

async function range(tenant: string) {
  return (await env.DB.prepare(
    "SELECT log_first_segment AS first, log_current_segment AS current FROM tenants WHERE id = ?",
  )
    .bind(tenant)
    .first<{ first: number; current: number }>())!;
}

const segment = (tenant: string, n: number) => env.TENANT_LOG.getByName(segmentName(tenant, n));

/** Every event of the tenant through GET /events, page by page; answers the ids in order. */
async function listAll(tenant: string, limit: number, from?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor = from, pages = 0; ; pages++) {
    expect(pages).toBeLessThan(200);
    const res = await api("GET", `/v1/tenants/${tenant}/events?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ status: 200, body: null });
    ids.push(...res.body.data.map((e: { id: string }) => e.id));
    if (!res.body.next_cursor) return ids;
    cursor = res.body.next_cursor;
  }
}

async function ingestBatches(tenant: string, batches: number, size: number, maxEvents: number): Promise<string[]> {
  const ctx = smallSegments(maxEvents);
  const ids: string[] = [];
  for (let b = 0; b < batches; b++) {
    const results = await ingestEvents(
      ctx,
      tenant,
      Array.from({ length: size }, (_, i) => ({ input: { type: "seg.test", data: { b, i } } })),
    );
    for (const r of results) {
      if (!("event" in r)) throw new Error(`not stored: ${JSON.stringify(r)}`);
      ids.push(r.event.id);
    }
  }
  return ids;
}

describe("a tenant's log over many segments", () => {
  it("2,500 events over 50 segments read back exactly, newest first, and a cursor taken before a rollover still ends exactly", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    const written = await ingestBatches(tenant, 50, 50, 50);
    expect(await range(tenant)).toEqual({ first: 0, current: 49 });
    // Each segment holds its 50 and nothing else.
    for (const n of [0, 17, 49]) expect((await segment(tenant, n).sizes()).events).toBe(50);

    const all = await listAll(tenant, 100);
    expect(all).toHaveLength(2500);
    expect(new Set(all)).toEqual(new Set(written));
    // Newest segment first, and within one segment newest first: here that is written order reversed.
    expect(all).toEqual([...written].reverse());

    // A page taken, then a rollover (50 more events open segment 50), then the rest from the cursor.
    const first = await api("GET", `/v1/tenants/${tenant}/events?limit=70`);
    const cursor = first.body.next_cursor as string;
    const later = await ingestBatches(tenant, 1, 50, 50);
    expect((await range(tenant)).current).toBe(50);
    const rest = await listAll(tenant, 100, cursor);
    expect([...first.body.data.map((e: { id: string }) => e.id), ...rest]).toEqual(all);
    expect(rest.some((id) => later.includes(id))).toBe(false);

    // An event in an old segment by its id.
    const old = written[5 * 50 + 3]!;
    const detail = await api("GET", `/v1/tenants/${tenant}/events/${old}`);
    expect({ status: detail.status, body: detail.status === 200 ? null : detail.body }).toEqual({
      status: 200,
      body: null,
    });
    expect(detail.body.data).toEqual({ b: 5, i: 3 });
  });

  it("an idempotency key keeps its event across a rollover, and a reuse with another body is still a conflict", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    const ctx = smallSegments(2);
    const first = await ingestEvent(ctx, tenant, { type: "seg.key", data: { n: 1 } }, "key-1");
    await ingestBatches(tenant, 3, 2, 2);
    expect((await range(tenant)).current).toBeGreaterThanOrEqual(2);
    const again = await ingestEvent(ctx, tenant, { type: "seg.key", data: { n: 1 } }, "key-1");
    expect(again.created).toBe(false);
    expect(again.event.id).toBe(first.event.id);
    const conflict = await ingestEvent(ctx, tenant, { type: "seg.key", data: { n: 2 } }, "key-1").catch(
      (e: unknown) => e,
    );
    expect(conflict).toBeInstanceOf(ApiError);
    expect((conflict as ApiError).code).toBe("conflict");
    const all = await listAll(tenant, 100);
    expect(all.filter((id) => id === first.event.id)).toHaveLength(1);
    expect(all).toHaveLength(7);
  });

  it("retention drops a closed segment whole once its newest row is past retention, and the range moves on", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    const written = await ingestBatches(tenant, 3, 5, 5);
    expect(await range(tenant)).toEqual({ first: 0, current: 2 });
    // Segment 0's rows as if written 40 days ago (retention is 30).
    await runInDurableObject(segment(tenant, 0), (_i: TenantLog, state) => {
      state.storage.sql.exec("UPDATE events SET created_at = created_at - 40 * 86400000");
    });
    expect(await runDurableObjectAlarm(segment(tenant, 0))).toBe(true);
    expect(await range(tenant)).toEqual({ first: 1, current: 2 });
    const sizes = await segment(tenant, 0).sizes();
    expect(sizes.events).toBe(0);
    expect(sizes.idempotency_keys).toBe(0);
    // Segment 1 is within retention: its alarm keeps it.
    await runDurableObjectAlarm(segment(tenant, 1));
    expect((await segment(tenant, 1).sizes()).events).toBe(5);
    expect(await listAll(tenant, 100)).toEqual(written.slice(5).reverse());
    // The current segment is never dropped: it still takes events, so its aged rows go one by one as before.
    await runInDurableObject(segment(tenant, 2), (_i: TenantLog, state) => {
      state.storage.sql.exec("UPDATE events SET created_at = created_at - 40 * 86400000");
    });
    await runDurableObjectAlarm(segment(tenant, 2));
    expect(await range(tenant)).toEqual({ first: 1, current: 2 });
    expect((await segment(tenant, 1).sizes()).events).toBe(5);
    expect((await segment(tenant, 2).sizes()).events).toBe(0);
  });

  it("a deleted tenant leaves nothing in any segment, and created again it starts empty", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    await ingestBatches(tenant, 4, 3, 3);
    expect((await range(tenant)).current).toBe(3);
    expect((await api("DELETE", `/v1/tenants/${tenant}`)).status).toBe(204);
    for (let n = 0; n <= 3; n++) {
      const sizes = await segment(tenant, n).sizes();
      expect({ n, events: sizes.events, keys: sizes.idempotency_keys, deliveries: sizes.deliveries }).toEqual({
        n,
        events: 0,
        keys: 0,
        deliveries: 0,
      });
    }
    expect(await env.DB.prepare("SELECT id FROM tenants WHERE id = ?").bind(tenant).first()).toBeNull();
    // Created again (past the id's cache window): it starts at segment 0 with nothing of the old one,
    // and its own rollovers into the old segments' objects find them empty.
    await env.DB.prepare("UPDATE tenant_tombstones SET deleted_at = deleted_at - 60000 WHERE tenant_id = ?")
      .bind(tenant)
      .run();
    await createTenant(tenant);
    expect(await range(tenant)).toEqual({ first: 0, current: 0 });
    expect(await listAll(tenant, 100)).toEqual([]);
    const fresh = await ingestBatches(tenant, 3, 3, 3);
    expect((await range(tenant)).current).toBe(2);
    expect(await listAll(tenant, 100)).toEqual([...fresh].reverse());
    expect((await segment(tenant, 3).sizes()).events).toBe(0);
  });

  it("a log written before segments is the tenant's first segment: its history stays readable after the log moves on", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    // Written with the deployment's default limits: all in the object named by the bare tenant id.
    const before = await ingestBatches(tenant, 2, 10, 250_000);
    expect(before.every((id) => !id.includes("."))).toBe(true);
    expect((await env.TENANT_LOG.getByName(tenant).sizes()).events).toBe(20);
    // A deployment with smaller segments: the old object is full, so the log moves on.
    const after = await ingestBatches(tenant, 2, 10, 10);
    expect((await range(tenant)).current).toBe(2);
    expect(await listAll(tenant, 15)).toEqual([...after].reverse().concat([...before].reverse()));
    const old = await api("GET", `/v1/tenants/${tenant}/events/${before[0]}`);
    expect(old.status).toBe(200);
  });

  it("fan-out and outcomes land in each event's segment; deliveries, attempts, detail and stats read across them", async () => {
    const l = await ladder({ path: uniquePath("/status/200") });
    const ctx = smallSegments(1);
    const events: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { event } = await ingestEvent(ctx, l.tenant, { type: "seg.out", data: { i } });
      await fanOut(serviceCtx(env), [{ tenantId: l.tenant, eventId: event.id, origin: "" }]);
      events.push(event.id);
    }
    expect((await range(l.tenant)).current).toBe(2);
    while (await l.runAlarm()) {
      if ((await l.received()).length >= 3) break;
    }
    for (let n = 0; n <= 2; n++) {
      const sizes = await segment(l.tenant, n).sizes();
      expect({ n, events: sizes.events, deliveries: sizes.deliveries, attempts: sizes.attempts }).toEqual({
        n,
        events: 1,
        deliveries: 1,
        attempts: 1,
      });
    }
    const deliveries = await api("GET", `/v1/tenants/${l.tenant}/deliveries?limit=2`);
    expect(deliveries.body.data.map((d: { event_id: string }) => d.event_id)).toEqual([events[2], events[1]]);
    const rest = await api("GET", `/v1/tenants/${l.tenant}/deliveries?limit=2&cursor=${deliveries.body.next_cursor}`);
    expect(rest.body.data.map((d: { event_id: string }) => d.event_id)).toEqual([events[0]]);
    expect(rest.body.next_cursor).toBeNull();
    for (const d of [...deliveries.body.data, ...rest.body.data]) {
      expect(d.status).toBe("succeeded");
      const detail = await api("GET", `/v1/tenants/${l.tenant}/deliveries/${d.id}`);
      expect(detail.status).toBe(200);
    }
    const attempts = await api("GET", `/v1/tenants/${l.tenant}/attempts?limit=10`);
    expect(attempts.body.data).toHaveLength(3);
    const stats = await api("GET", `/v1/tenants/${l.tenant}/stats`);
    expect(stats.body.deliveries.succeeded).toBe(3);
    expect(stats.body.attempts.total).toBe(3);
  });

  it("a recover task re-queues the failed deliveries of every segment and counts them together", async () => {
    const path = uniquePath("/scripted");
    await script(path, Array(6).fill({ status: 500 }));
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] } } });
    const ctx = smallSegments(1);
    for (let i = 0; i < 3; i++) {
      const { event } = await ingestEvent(ctx, l.tenant, { type: "seg.rec", data: { i } });
      await fanOut(serviceCtx(env), [{ tenantId: l.tenant, eventId: event.id, origin: "" }]);
    }
    expect((await range(l.tenant)).current).toBe(2);
    for (let i = 0; i < 3; i++) {
      await l.runAlarm();
      await l.advance(1000);
    }
    const failed = (await api("GET", `/v1/tenants/${l.tenant}/deliveries?status=failed`)).body.data;
    expect(failed).toHaveLength(3);

    const since = new Date(Date.now() - 3600_000).toISOString();
    const res = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, { body: { since } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "running", total: 3, done: 0 });
    await l.runAlarm();
    const task = (await api("GET", `/v1/tasks/${res.body.id}`)).body;
    expect(task).toMatchObject({ total: 3, done: 3, status: "completed" });
    const after = (await api("GET", `/v1/tenants/${l.tenant}/deliveries`)).body.data;
    expect(after.map((d: { status: string }) => d.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("the sweep of a later segment, asked for by that segment's own name, re-queues its event whose fan-out never ran", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    await ingestBatches(tenant, 3, 1, 1);
    expect((await range(tenant)).current).toBe(2);
    // An event in segment 2 written without its queue message (as if the isolate died in between).
    const id = "evt_01jd00000000000000000sweep.2";
    await runInDurableObject(segment(tenant, 2), (_i: TenantLog, state) => {
      state.storage.sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
        id,
        tenant,
        Date.now() - 10 * 60_000,
      );
    });
    const result = await sweepTenant(serviceCtx(env), segmentName(tenant, 2), Date.now());
    expect(result.requeued).toBe(1);
    const got = await waitForReceived(path, 4);
    expect(got.map((r) => r.headers["webhook-id"])).toContain(id);
    const deliveries = (await api("GET", `/v1/tenants/${tenant}/deliveries?event_id=${id}`)).body.data;
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].id.endsWith(".2")).toBe(true);
  });

  it("all-time counters sum over segments and survive a segment retention drops: its totals move to the next segment's carry rows", async () => {
    const l = await ladder({ path: uniquePath("/status/200") });
    const ctx = smallSegments(1);
    for (let i = 0; i < 3; i++) {
      const { event } = await ingestEvent(ctx, l.tenant, { type: "seg.metrics", data: { i } });
      await fanOut(serviceCtx(env), [{ tenantId: l.tenant, eventId: event.id, origin: "" }]);
    }
    while (await l.runAlarm()) {
      if ((await l.received()).length >= 3) break;
    }
    const totals = async () => {
      const m = await metricsAcross(env, l.tenant);
      expect(m.endpoints).toHaveLength(1);
      return { succeeded: m.endpoints[0]!.succeeded, attemptsOk: m.endpoints[0]!.attemptsOk };
    };
    expect(await totals()).toEqual({ succeeded: 3, attemptsOk: 3 });
    await runInDurableObject(segment(l.tenant, 0), (_i: TenantLog, state) => {
      const aged = "- 40 * 86400000";
      state.storage.sql.exec(`UPDATE events SET created_at = created_at ${aged}`);
      state.storage.sql.exec(`UPDATE deliveries SET created_at = created_at ${aged}, updated_at = updated_at ${aged}`);
      state.storage.sql.exec(`UPDATE attempts SET started_at = started_at ${aged}`);
    });
    expect(await runDurableObjectAlarm(segment(l.tenant, 0))).toBe(true);
    expect(await range(l.tenant)).toEqual({ first: 1, current: 2 });
    const dropped = await segment(l.tenant, 0).sizes();
    expect({
      events: dropped.events,
      deliveries: dropped.deliveries,
      attempts: dropped.attempts,
      stats: dropped.delivery_stats,
    }).toEqual({
      events: 0,
      deliveries: 0,
      attempts: 0,
      stats: 0,
    });
    expect(await totals()).toEqual({ succeeded: 3, attemptsOk: 3 });
    expect((await api("GET", `/v1/tenants/${l.tenant}/deliveries`)).body.data).toHaveLength(2);
  });

  it("a filter that matches little visits at most SEGMENTS_PER_PAGE segments a page and answers a cursor at the next one", async () => {
    const tenant = await createTenant(uniqueTenantId("seg"));
    const ctx = smallSegments(1);
    const rare = await ingestEvent(ctx, tenant, { type: "seg.rare", data: {} });
    await ingestBatches(tenant, 19, 1, 1);
    expect((await range(tenant)).current).toBe(19);
    const pages: { ids: string[]; next: string | null }[] = [];
    for (let cursor: string | null = null; pages.length < 10; ) {
      const res: { status: number; body: any } = await api(
        "GET",
        `/v1/tenants/${tenant}/events?type=seg.rare&limit=5${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.status).toBe(200);
      pages.push({ ids: res.body.data.map((e: { id: string }) => e.id), next: res.body.next_cursor });
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    // 20 segments, SEGMENTS_PER_PAGE a page: two empty pages that say where to go on, then the match.
    expect(pages).toHaveLength(Math.ceil(20 / SEGMENTS_PER_PAGE));
    expect(pages.slice(0, -1).every((p) => p.ids.length === 0 && p.next !== null)).toBe(true);
    expect(pages.at(-1)).toEqual({ ids: [rare.event.id], next: null });
  });
});
