/**
 * Workers Analytics Engine: the DELIVERY_ANALYTICS binding from wrangler.toml is the real local
 * one (miniflare's simulator accepts points and keeps none, so nothing can be read back from
 * it). To see what is written, the TenantLog's binding is wrapped by a recorder that forwards
 * every point to the real binding; with the binding absent, attempts are recorded all the same.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";
import { tenantLogStub } from "../helpers/tenant-log";

type WithEnv = { env: Env };

/** Wraps the TenantLog's analytics binding (or removes it) for the rest of this object's life. */
async function onTenantLog(tenant: string, dataset: AnalyticsEngineDataset | undefined) {
  await runInDurableObject(tenantLogStub(tenant), (instance: TenantLog) => {
    const self = instance as unknown as WithEnv;
    self.env = { ...self.env, DELIVERY_ANALYTICS: dataset };
  });
}

describe("Analytics Engine data points", () => {
  it("the binding from wrangler.toml runs locally", () => {
    expect(env.DELIVERY_ANALYTICS).toBeDefined();
    expect(() => env.DELIVERY_ANALYTICS!.writeDataPoint({ blobs: ["probe"], doubles: [1], indexes: ["probe"] })).not.toThrow();
  });

  it("writes one point per recorded attempt, with tenant, endpoint, event type, outcome, duration and status; a replayed outcome writes none", async () => {
    const l = await ladder({ path: uniquePath("/status/503"), endpoint: { retry_policy: { schedule_s: [60] } } });
    await l.post({ type: "analytics.probe", data: {} });
    const points: AnalyticsEngineDataPoint[] = [];
    const real = env.DELIVERY_ANALYTICS!;
    await onTenantLog(l.tenant, {
      writeDataPoint: (p) => {
        points.push(p!);
        real.writeDataPoint(p);
      },
    });
    await l.runAlarm(); // one failed attempt, recorded through the outbox
    const [delivery] = await l.deliveries();
    const [attempt] = (await l.delivery(delivery.id)).attempts;
    expect(points).toEqual([
      { indexes: [l.tenant], blobs: [l.tenant, l.endpoint.id, "analytics.probe", "failed", "", "scheduled"], doubles: [attempt.duration_ms, 503] },
    ]);
    // The same outcome again (an outbox flush that is retried): the attempt exists, no new point.
    await runInDurableObject(tenantLogStub(l.tenant), async (instance: TenantLog) => {
      const row = await instance.deliveryDetail(delivery.id);
      const a = row!.attempts[0]!;
      await instance.record(
        [
          {
            delivery: { id: delivery.id, tenantId: l.tenant, endpointId: l.endpoint.id, eventId: row!.delivery.eventId },
            attempt: { ...a, ok: false, failure: "http", control: null, retryAfter: null },
            status: "pending_retry",
          },
        ],
        Date.now(),
      );
    });
    expect(points).toHaveLength(1);
    await l.advance(60_000);
    await l.runAlarm(); // the last attempt
    expect(points.map((p) => p.blobs![3])).toEqual(["failed", "failed"]);
  });

  it("records attempts as before when the binding is absent", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await onTenantLog(l.tenant, undefined);
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const [delivery] = await l.deliveries();
    expect(delivery.status).toBe("succeeded");
    expect((await l.delivery(delivery.id)).attempts).toHaveLength(1);
  });
});
