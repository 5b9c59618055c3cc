/**
 * What the portal's pages say about real traffic: the delivery's payload, the stats in words that
 * match what they count, the hourly chart (inline SVG with its text equivalent), times in UTC, the
 * endpoint's id, and "Retry now" not offered as the next step on a succeeded delivery.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, script, uniquePath, waitForReceived } from "../helpers/receiver";

/** A tenant whose endpoint got two events: one delivered at once, one answered 500 then delivered by a retry. */
async function traffic() {
  const tenant = await createTenant();
  const path = uniquePath("/pages");
  await script(path, [{ status: 200 }, { status: 500 }]);
  const ep = await createEndpoint(tenant, { url: receiverUrl(path), retry_policy: { schedule_s: [3600] } });
  const first = (
    await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "invoice.paid", data: { invoice_id: "inv_77", total: 1200 } },
    })
  ).body;
  await waitForReceived(path, 1);
  const second = (
    await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "invoice.paid", data: { invoice_id: "inv_78" } },
    })
  ).body;
  await waitForReceived(path, 2);
  const deliveryOf = async (eventId: string, status: string) =>
    (
      await eventually(
        () => api("GET", `/v1/tenants/${tenant}/events/${eventId}/deliveries`),
        (r) => r.body.data?.[0]?.status === status,
      )
    ).body.data[0];
  const delivered = await deliveryOf(first.id, "succeeded");
  const retrying = await deliveryOf(second.id, "pending_retry");
  const retried = await api("POST", `/v1/tenants/${tenant}/deliveries/${retrying.id}/retry`);
  expect(retried.status).toBe(200);
  await deliveryOf(second.id, "succeeded");
  const { client } = await PortalClient.open(tenant);
  return { tenant, ep, delivered, client };
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, " ");

describe("portal pages", () => {
  it("the delivery page shows the payload that was sent, its times in UTC, and Retry now as a secondary action once succeeded", async () => {
    const { delivered, client } = await traffic();
    const page = await client.get(`/portal/deliveries/${delivered.id}`);
    expect(page.status).toBe(200);
    const payload = /<pre id="payload">([\s\S]*?)<\/pre>/.exec(page.html)?.[1];
    expect(payload && JSON.parse(payload.replace(/&quot;/g, '"'))).toEqual({ invoice_id: "inv_77", total: 1200 });
    expect(text(page.html)).toMatch(/Created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(text(page.html)).toMatch(/#1 · \w+ · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(page.html).toMatch(/<button type="submit" class="secondary">Retry now<\/button>/);
  });

  it("the endpoint page: its id, outcomes and attempts in words that match, and an hourly chart with a text equivalent", async () => {
    const { ep, client } = await traffic();
    const page = await client.get(`/portal/endpoints/${ep.id}`);
    const words = text(page.html);
    expect(words).toContain(`Endpoint id ${ep.id}`);
    // Two deliveries, both delivered; three attempts, one of them a 500.
    expect(words).toContain("2 delivered, 0 failed (100% of finished deliveries), 0 pending");
    expect(words).toContain("3 attempts, 1 failed");
    expect(words).not.toMatch(/\(1 attempts\)/);
    // The chart: inline SVG named for screen readers, with the numbers as a table.
    expect(page.html).toMatch(/<svg [^>]*role="img"[^>]*aria-labelledby="traffic-chart-t traffic-chart-d"/);
    expect(page.html).toContain('<title id="traffic-chart-t">Deliveries per hour, last 24 hours</title>');
    expect(words).toContain("2 delivered and 0 failed over the last 24 hours");
    expect((page.html.match(/<rect /g) ?? []).length).toBeGreaterThan(0);
    expect(words).toMatch(/\d\d-\d\d \d\d:00 UTC 2 0 \d+ ms/);
    expect(page.html).not.toMatch(/<script|https?:\/\/cdn/i);

    const week = await client.get(`/portal/endpoints/${ep.id}?range=7d`);
    expect(week.html).toContain("Deliveries per hour, last 7 days");
    // 168 hours drawn, most of them empty.
    expect((week.html.match(/<g><title>/g) ?? []).length).toBe(168);
  });

  it("the endpoints list shows a sparkline and counts per endpoint", async () => {
    const { ep, client } = await traffic();
    const quiet = await createEndpoint((await client.get("/portal")).html.match(/org_[0-9a-z_]+/)![0], {
      url: receiverUrl(uniquePath("/quiet")),
    });
    const page = await client.get("/portal");
    const words = text(page.html);
    expect(page.html).toContain('aria-label="Last 24 hours: 2 delivered, 0 failed"');
    expect(page.html).toContain('aria-label="Last 24 hours: 0 delivered, 0 failed"');
    expect(words).toContain("2 delivered, 0 failed (100% of finished deliveries) 3 attempts, 1 failed");
    expect(words).toContain("0 delivered, 0 failed 0 attempts");
    expect(page.html).toContain(ep.id);
    expect(page.html).toContain(quiet.id);
  });
});

it("an empty tenant's endpoint page draws an empty chart", async () => {
  const tenant = await createTenant();
  const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/empty")) });
  const { client } = await PortalClient.open(tenant);
  const page = await client.get(`/portal/endpoints/${ep.id}`);
  expect(text(page.html)).toContain("0 delivered and 0 failed over the last 24 hours");
  expect(text(page.html)).toContain("No deliveries finished in this window.");
});
