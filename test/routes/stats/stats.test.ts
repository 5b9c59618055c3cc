/**
 * Stats against a known set of attempts: latencies fall in their histogram buckets and percentiles
 * are bucket upper bounds; endpoint and tenant stats count deliveries by outcome and attempts (a
 * manual retry is one more attempt, not one more delivery); and a long window over many endpoints
 * is answered in bounded calls and pages with the same figures, none missing.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { latencyBucket } from "../../../src/attempts/stats-rollup";
import { LATENCY_BUCKETS_MS } from "../../../src/domain/deliveries";
import { MultiRowInsert } from "../../../src/lib/multi-row-insert";
import { percentile } from "../../../src/services/stats";
import { STATS_ENDPOINTS_PER_CALL } from "../../../src/tenant-log/client";
import type { TenantLog } from "../../../src/tenant-log/tenant-log";
import { api, createTenant } from "../../helpers/api";
import { ladder } from "../../helpers/ladder";
import { script, uniquePath } from "../../helpers/receiver";
import { tenantLogStub } from "../../helpers/tenant-log";

describe("latency histogram", () => {
  it.each([
    [0, 0],
    [25, 0],
    [26, 1],
    [100, 2],
    [25600, 10],
    [30000, 11],
  ])("%s ms falls in bucket %s", (ms, bucket) => expect(latencyBucket(ms)).toBe(bucket));

  it("percentiles are bucket upper bounds", () => {
    const h = [0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(percentile(h, 0.5)).toBe(100);
    expect(percentile([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 0.95)).toBe(Number.POSITIVE_INFINITY);
    expect(percentile([90, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0], 0.95)).toBe(1600);
    expect(percentile(Array(12).fill(0), 0.5)).toBeNull();
  });
});

describe("endpoint and tenant stats", () => {
  it("count deliveries by outcome and attempts, with success rate and latency", async () => {
    const path = uniquePath("/scripted");
    // d1: 500 then 200 (succeeded); d2: 500, 500 (failed); d3: abort (cancelled); d4: held pending.
    await script(path, [
      { status: 500 },
      { status: 500 },
      { status: 400, headers: { "webhook-delivery": "abort-message" } },
      { status: 200 },
      { status: 500 },
    ]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [60] }, max_in_flight: 1 } });
    await l.post({ type: "a.b", data: { d: 1 } });
    await l.post({ type: "a.b", data: { d: 2 } });
    await l.post({ type: "a.b", data: { d: 3 } });
    await l.runAlarm(); // d1 → 500
    await l.runAlarm(); // d2 → 500
    await l.runAlarm(); // d3 → abort → cancelled
    await l.advance(60_000);
    await l.runAlarm(); // d1 → 200 succeeded
    await l.runAlarm(); // d2 → 500 → failed (ladder spent)
    await l.post({ type: "a.b", data: { d: 4 } }); // waits: not run

    const since = new Date(Date.now() - 3600_000).toISOString();
    const stats = await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/stats?since=${since}`);
    expect(stats.status).toBe(200);
    expect(stats.body.deliveries).toEqual({ succeeded: 1, failed: 1, cancelled: 1, pending: 1 });
    expect(stats.body.attempts).toEqual({ total: 5, succeeded: 1, failed: 4 });
    expect(stats.body.success_rate).toBe(0.5);
    // Local attempts take well under 25.6 s: both percentiles land in a finite bucket.
    expect(stats.body.latency_ms.p50).toBeGreaterThan(0);
    expect(stats.body.latency_ms.p95).toBeGreaterThanOrEqual(stats.body.latency_ms.p50);

    const tenant = await api("GET", `/v1/tenants/${l.tenant}/stats?since=${since}`);
    expect(tenant.body.attempts.total).toBe(5);
    expect(tenant.body.endpoints).toHaveLength(1);
    expect(tenant.body.endpoints[0]).toMatchObject({ endpoint_id: l.endpoint.id, success_rate: 0.5 });

    // The window excludes what came before it.
    const future = new Date(Date.now() + 2 * 24 * 3600_000).toISOString();
    const empty = await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/stats?since=${future}`);
    expect(empty.body.attempts.total).toBe(0);
    expect(empty.body.success_rate).toBeNull();
    expect((await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/stats?since=bogus`)).status).toBe(400);
  });

  it("a manual retry of a succeeded delivery is one more attempt, not one more delivered", async () => {
    const l = await ladder({ path: uniquePath("/retried") });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm(); // 200: succeeded
    const [delivery] = await l.deliveries();
    expect(delivery.status).toBe("succeeded");
    const retried = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${delivery.id}/retry`);
    expect(retried.status).toBe(200);

    const since = new Date(Date.now() - 3600_000).toISOString();
    const stats = await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/stats?since=${since}`);
    expect(stats.body.attempts).toEqual({ total: 2, succeeded: 2, failed: 0 });
    expect(stats.body.deliveries).toMatchObject({ succeeded: 1, failed: 0 });
    expect(stats.body.success_rate).toBe(1);
  });
});

const HOUR = 3600_000;

/** Writes one succeeded attempt of 25 ms per endpoint-hour straight into the tenant's roll-ups. */
async function seedStats(tenant: string, endpoints: number, hours: number) {
  const lastHour = Math.floor(Date.now() / HOUR) * HOUR;
  const latency = JSON.stringify([1, ...Array(LATENCY_BUCKETS_MS.length).fill(0)]);
  await runInDurableObject(tenantLogStub(tenant), (_i: TenantLog, state) => {
    const rows = new MultiRowInsert(
      "INSERT INTO delivery_stats (endpoint_id, tenant_id, hour, attempts_ok, attempts_failed, succeeded, failed, cancelled, latency, latency_sum_ms, attempts_2xx, attempts_3xx, attempts_4xx, attempts_5xx, attempts_none)",
      15,
      "",
      (query, params) => void state.storage.sql.exec(query, ...(params as SqlStorageValue[])),
    );
    for (let e = 0; e < endpoints; e++)
      for (let h = 0; h < hours; h++)
        rows.add([
          `ep_${String(e).padStart(4, "0")}`,
          tenant,
          lastHour - h * HOUR,
          1,
          0,
          1,
          0,
          0,
          latency,
          10,
          1,
          0,
          0,
          0,
          0,
        ]);
    rows.flush();
  });
}

describe("tenant stats over a long window", () => {
  it("150 endpoints × 720 hours (over 32 MiB as hourly rows) answer in one bounded call, the same figures", async () => {
    const tenant = await createTenant();
    await seedStats(tenant, 150, 720);
    const res = await api("GET", `/v1/tenants/${tenant}/stats?since=1970-01-01T00:00:00Z`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      deliveries: { succeeded: 108_000, failed: 0, cancelled: 0 },
      attempts: { total: 108_000, succeeded: 108_000, failed: 0 },
      success_rate: 1,
      latency_ms: { p50: LATENCY_BUCKETS_MS[0], p95: LATENCY_BUCKETS_MS[0] },
    });
    expect(res.body.endpoints).toHaveLength(150);
    expect(res.body.endpoints[0]).toMatchObject({
      endpoint_id: "ep_0000",
      deliveries: { succeeded: 720 },
      attempts: { total: 720 },
    });
  });

  it("more endpoints than one call answers are read in pages, none missing", async () => {
    const tenant = await createTenant();
    await seedStats(tenant, STATS_ENDPOINTS_PER_CALL + 1, 1);
    const res = await api("GET", `/v1/tenants/${tenant}/stats?since=1970-01-01T00:00:00Z`);
    expect(res.status).toBe(200);
    expect(res.body.endpoints).toHaveLength(STATS_ENDPOINTS_PER_CALL + 1);
    expect(res.body.deliveries.succeeded).toBe(STATS_ENDPOINTS_PER_CALL + 1);
  });
});
