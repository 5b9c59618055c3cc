/**
 * A dispatcher holds nothing the tenant's log has already purged: a pending delivery older than
 * the tenant's retention_days, or one scheduled (deliver_at) past it, is dropped and recorded
 * cancelled, instead of waiting in the object for years and being sent for a log that forgot it.
 */

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceCtx } from "../../src/services/context";
import { getEndpoint } from "../../src/services/endpoints";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";

const DAY = 24 * 3600_000;

describe("pending deliveries beyond the tenant's retention", () => {
  it("are dropped: one older than retention_days, one scheduled past it", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [600] } } });
    expect((await api("PATCH", `/v1/tenants/${l.tenant}`, { body: { retention_days: 3 } })).status).toBe(200);
    const aged = await l.post({ type: "a.b", data: {} });
    await l.runAlarm(); // first attempt failed: pending_retry, held here
    const row = await getEndpoint(serviceCtx(env), l.tenant, l.endpoint.id);
    const createdAt = await l.now();
    await l.stub.enqueue(row, [
      {
        deliveryId: "dlv_far_future",
        tenantId: l.tenant,
        eventId: "evt_far_future",
        eventType: "a.b",
        eventCreatedAt: createdAt,
        payload: "{}",
        orderingKey: null,
        deliverAt: createdAt + 400 * DAY,
        expiresAt: null,
      },
    ]);
    expect((await l.inspect()).pending.map((p) => p.event_id).sort()).toEqual([aged, "evt_far_future"].sort());

    await l.advance(3 * DAY);
    await l.runAlarm();

    expect((await l.inspect()).pending).toEqual([]);
    expect((await l.deliveries(aged))[0].status).toBe("cancelled");
    expect(await l.received()).toHaveLength(1);
  });

  it("are kept while within it", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [600, 600] } } });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    await l.advance(DAY);
    await l.runAlarm();
    expect((await l.deliveries(eventId))[0].status).toBe("pending_retry");
    expect(await l.received()).toHaveLength(2);
  });
});
