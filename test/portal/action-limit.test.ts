/**
 * The per-tenant action limit (TENANT_ACTION_LIMITER, 60 per 60 s per tenant and action) is
 * counted inside the verbs, so the portal's buttons and the API draw on one budget: spent by API
 * calls, the portal's "Send test event" and "Retry now" are refused with a clear page (429,
 * Retry-After), and spent from the portal, the API answers 429 in the envelope. Nothing is sent
 * once refused. The spending calls name ids that do not exist (counted, then 404), so no traffic
 * is made. The limiter's windows are aligned to the clock: a run that straddles a window edge
 * proves nothing and is made again with a fresh tenant (no sleeps, no timing asserted).
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const LIMIT = 60;
const PERIOD_MS = 60_000;
const windowOf = () => Math.floor(Date.now() / PERIOD_MS);
const bogus = { ep: "ep_01jd0000000000000000000000", dlv: "dlv_01jd0000000000000000000000" };

interface Setup {
  spend: () => Promise<number>;
  probe: () => Promise<{ status: number; body: any; headers: Headers }>;
  path: string;
}

/** Spends the budget with `spend` (each answering 404), then probes; again if the window rolled over. */
async function spendThenProbe(setup: () => Promise<Setup>) {
  for (let tries = 0; tries < 3; tries++) {
    const s = await setup();
    const start = windowOf();
    const spent: number[] = [];
    for (let i = 0; i < LIMIT; i++) spent.push(await s.spend());
    const probed = await s.probe();
    if (windowOf() === start) return { ...s, spent, probed };
  }
  throw new Error("three runs in a row straddled a limiter window");
}

async function tenantWithEndpoint() {
  const tenant = await createTenant();
  const path = uniquePath("/limited");
  const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
  const { client } = await PortalClient.open(tenant);
  const csrf = PortalClient.csrfOf((await client.get(`/portal/endpoints/${ep.id}`)).html);
  return { tenant, path, ep, client, csrf };
}

/** A tenant with one delivered event, so "Retry now" has a real delivery to act on. */
async function tenantWithDelivery() {
  const t = await tenantWithEndpoint();
  const event = await api("POST", `/v1/tenants/${t.tenant}/events`, { body: { type: "a.b", data: {} } });
  await waitForReceived(t.path, 1);
  const dlv = (
    await eventually(
      () => api("GET", `/v1/tenants/${t.tenant}/events/${event.body.id}/deliveries`),
      (r) => r.body.data?.length === 1,
    )
  ).body.data[0].id as string;
  return { ...t, dlv };
}

function expectPortalRefusal(page: { status: number; body: any; headers: Headers }, text: RegExp) {
  expect(page.status).toBe(429);
  expect(page.headers.get("retry-after")).toBe("60");
  expect(page.headers.get("content-type")).toMatch(/text\/html/);
  expect(page.body).toMatch(text);
  expect(page.body).toContain("share one limit");
}

function expectApiRefusal(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe("rate_limited");
  expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
}

const portalPost = async (client: PortalClient, path: string, csrf: string) => {
  const p = await client.post(path, { _csrf: csrf });
  return { status: p.status, body: p.html, headers: p.headers };
};

describe("the portal and the API share one per-tenant budget", () => {
  it("test: spent by API calls, the portal's test button answers a clear 429 page and sends nothing", async () => {
    const run = await spendThenProbe(async () => {
      const t = await tenantWithEndpoint();
      return {
        path: t.path,
        spend: async () =>
          (await api("POST", `/v1/tenants/${t.tenant}/endpoints/${bogus.ep}/test`, { body: {} })).status,
        probe: () => portalPost(t.client, `/portal/endpoints/${t.ep.id}/test`, t.csrf),
      };
    });
    expect(new Set(run.spent)).toEqual(new Set([404]));
    expectPortalRefusal(run.probed, /Too many test events were sent/);
    // The endpoint's page is still there around the notice, with its buttons.
    expect(run.probed.body).toContain("Send test event");
    expect(await received(run.path)).toHaveLength(0);
  });

  it("test: spent by the portal's button, the API answers 429 in the envelope and sends nothing", async () => {
    const run = await spendThenProbe(async () => {
      const t = await tenantWithEndpoint();
      return {
        path: t.path,
        spend: async () => (await portalPost(t.client, `/portal/endpoints/${bogus.ep}/test`, t.csrf)).status,
        probe: () => api("POST", `/v1/tenants/${t.tenant}/endpoints/${t.ep.id}/test`, { body: {} }),
      };
    });
    expect(new Set(run.spent)).toEqual(new Set([404]));
    expectApiRefusal(run.probed);
    expect(await received(run.path)).toHaveLength(0);
  });

  it("retry: spent by API calls, the portal's Retry now answers a clear 429 page on the delivery and sends nothing", async () => {
    const run = await spendThenProbe(async () => {
      const t = await tenantWithDelivery();
      return {
        path: t.path,
        spend: async () => (await api("POST", `/v1/tenants/${t.tenant}/deliveries/${bogus.dlv}/retry`)).status,
        probe: () => portalPost(t.client, `/portal/deliveries/${t.dlv}/retry`, t.csrf),
      };
    });
    expect(new Set(run.spent)).toEqual(new Set([404]));
    expectPortalRefusal(run.probed, /Too many deliveries were retried/);
    expect(run.probed.body).toContain("Retry now");
    expect(await received(run.path)).toHaveLength(1);
  });

  it("retry: spent by the portal's Retry now, the API answers 429 in the envelope and sends nothing", async () => {
    const run = await spendThenProbe(async () => {
      const t = await tenantWithDelivery();
      return {
        path: t.path,
        spend: async () => (await portalPost(t.client, `/portal/deliveries/${bogus.dlv}/retry`, t.csrf)).status,
        probe: () => api("POST", `/v1/tenants/${t.tenant}/deliveries/${t.dlv}/retry`),
      };
    });
    expect(new Set(run.spent)).toEqual(new Set([404]));
    expectApiRefusal(run.probed);
    expect(await received(run.path)).toHaveLength(1);
  });
});
