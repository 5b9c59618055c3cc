/**
 * Workers Analytics Engine: the DELIVERY_ANALYTICS binding from wrangler.toml is the real local
 * one (miniflare's simulator accepts points and keeps none, so nothing can be read back from
 * it). To see what is written, the TenantLog's binding is wrapped by a recorder that forwards
 * every point to the real binding; with the binding absent, attempts are recorded all the same.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DeliveryChange } from "../../src/attempts/record";
import { MultiRowInsert } from "../../src/lib/multi-row-insert";
import { ANALYTICS_POINTS_PER_INVOCATION, checkedDataset } from "../../src/lib/platform-limits";
import { recordChanges } from "../../src/tenant-log/client";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { uniqueTenantId } from "../helpers/api";
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
    expect(() =>
      env.DELIVERY_ANALYTICS!.writeDataPoint({ blobs: ["probe"], doubles: [1], indexes: ["probe"] }),
    ).not.toThrow();
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
      {
        indexes: [l.tenant],
        blobs: [l.tenant, l.endpoint.id, "analytics.probe", "failed", "", "scheduled"],
        doubles: [attempt.duration_ms, 503],
      },
    ]);
    // The same outcome again (an outbox flush that is retried): the attempt exists, no new point.
    await runInDurableObject(tenantLogStub(l.tenant), async (instance: TenantLog) => {
      const row = await instance.deliveryDetail(delivery.id);
      const a = row!.attempts[0]!;
      await instance.record(
        [
          {
            delivery: {
              id: delivery.id,
              tenantId: l.tenant,
              endpointId: l.endpoint.id,
              eventId: row!.delivery.eventId,
            },
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

  it("a catch-up flush of 600 attempts writes all 600 points, at most 250 per TenantLog invocation", async () => {
    const tenant = uniqueTenantId();
    const now = Date.now();
    const refs = Array.from({ length: 600 }, (_, i) => ({
      id: `dlv_${i}`,
      tenantId: tenant,
      endpointId: "ep_1",
      eventId: `evt_${i}`,
    }));
    const points: AnalyticsEngineDataPoint[] = [];
    await runInDurableObject(tenantLogStub(tenant), (instance: TenantLog, state) => {
      const rows = new MultiRowInsert(
        "INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, next_attempt_at, created_at, updated_at)",
        11,
        "",
        (query, params) => void state.storage.sql.exec(query, ...(params as SqlStorageValue[])),
      );
      for (const d of refs)
        rows.add([d.id, tenant, d.eventId, d.endpointId, "a.b", "", "delivering", 0, now, now, now]);
      rows.flush();
      // Each point counted against the invocation that writes it: the 251st of one would throw.
      const self = instance as unknown as WithEnv;
      self.env = {
        ...self.env,
        DELIVERY_ANALYTICS: checkedDataset({ writeDataPoint: (p) => void points.push(p!) }, "DELIVERY_ANALYTICS"),
      };
    });
    const changes: DeliveryChange[] = refs.map((delivery, i) => ({
      delivery,
      status: "succeeded",
      attemptCount: 1,
      attempt: {
        id: `att_${i}`,
        number: 1,
        trigger: "scheduled",
        url: "https://receiver.example/hook",
        startedAt: now,
        durationMs: 12,
        ok: true,
        statusCode: 200,
        responseBody: "ok",
        error: null,
        errorDetail: null,
        failure: null,
        control: null,
        retryAfter: null,
        requestHeaders: {},
      },
    }));
    await recordChanges(env, changes, now);
    expect(points).toHaveLength(600);
    expect(new Set(points.map((p) => p.blobs![1]))).toEqual(new Set(["ep_1"]));
    expect((await tenantLogStub(tenant).sizes()).attempts).toBe(600);
    expect(ANALYTICS_POINTS_PER_INVOCATION).toBe(250);
  });
});
