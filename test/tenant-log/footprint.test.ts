/**
 * What a tenant's traffic costs in TenantLog bytes: events with a 1 KB payload, fanned out to 3
 * endpoints, each delivered on the first try. Measured from the object's own SQLite size
 * (databaseSize, in pages) over 300 events, so one page's rounding is under 1 % of the figure.
 * docs/scaling.md turns these into capacity per tenant; the bounds here only catch a regression
 * that would multiply them (they are sizes, not timings).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { tenantLogStub } from "../helpers/tenant-log";

const EVENTS = 300;
const FANOUT = 3;
const PAYLOAD = "x".repeat(1000);

const size = (tenant: string) =>
  runInDurableObject(tenantLogStub(tenant), (_i: TenantLog, state) => state.storage.sql.databaseSize);

async function postEvents(tenant: string, count: number) {
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({
      type: "footprint.probe",
      data: { n: i + j, text: PAYLOAD },
    }));
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, { body: { events } });
    expect(res.status).toBe(202);
  }
}

describe("TenantLog footprint", () => {
  it("bytes per event, per delivery with its attempt", async () => {
    const tenant = await createTenant();
    await postEvents(tenant, 10); // the object and its tables exist before the first reading
    const empty = await size(tenant);
    await postEvents(tenant, EVENTS);
    const withEvents = await size(tenant);
    const perEvent = (withEvents - empty) / EVENTS;

    const path = uniquePath("/ok");
    for (let i = 0; i < FANOUT; i++) await createEndpoint(tenant, { url: receiverUrl(`${path}-${i}`) });
    const before = await size(tenant);
    await postEvents(tenant, EVENTS);
    for (let i = 0; i < FANOUT; i++) await waitForReceived(`${path}-${i}`, EVENTS);
    await eventually(
      () => api("GET", `/v1/tenants/${tenant}/deliveries?status=pending&limit=1`),
      (r) => r.body.data.length === 0,
    );
    const after = await size(tenant);
    const perDeliveredEvent = (after - before) / EVENTS;
    const perDeliveryWithAttempt = (perDeliveredEvent - perEvent) / FANOUT;
    console.log(
      `TenantLog bytes: ${perEvent.toFixed(0)} per event (1 KB payload), ${perDeliveryWithAttempt.toFixed(0)} per delivery with its first attempt, ${perDeliveredEvent.toFixed(0)} per event at fan-out ${FANOUT}`,
    );
    expect(perEvent).toBeGreaterThan(1000); // the payload is stored once per event
    expect(perEvent).toBeLessThan(2500); // 4.7 KB when events were WITHOUT ROWID (overflow page per row)
    expect(perDeliveryWithAttempt).toBeGreaterThan(0);
    expect(perDeliveryWithAttempt).toBeLessThan(3000);
  });
});
