/** Stats against a known set of attempts. */
import { describe, expect, it } from "vitest";
import { percentile } from "../../src/services/stats";
import { latencyBucket } from "../../src/attempts/stats-rollup";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";

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
    await script(path, [{ status: 500 }, { status: 500 }, { status: 400, headers: { "webhook-delivery": "abort-message" } }, { status: 200 }, { status: 500 }]);
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
