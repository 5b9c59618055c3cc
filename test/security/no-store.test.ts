/**
 * No API answer may be kept by a cache (a browser's, a proxy's, a CDN's): several answer a secret
 * (creating an endpoint, rotating, test-url, creating an API key, creating a portal session) and
 * the rest answer tenant data. Every `/v1` answer says `cache-control: no-store`, errors included.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

function expectNoStore(res: { status: number; headers: Headers }, what: string, status: number) {
  expect(res.status, what).toBe(status);
  expect(res.headers.get("cache-control"), what).toBe("no-store");
}

describe("cache-control: no-store on every /v1 answer", () => {
  it("the answers that carry a secret", async () => {
    const tenant = await createTenant();
    const created = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: receiverUrl("/ok") } });
    expectNoStore(created, "create endpoint", 201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const ep = created.body.id as string;
    expectNoStore(
      await api("POST", `/v1/tenants/${tenant}/endpoints/${ep}/rotate-secret`, { body: {} }),
      "rotate-secret",
      200,
    );
    expectNoStore(await api("GET", `/v1/tenants/${tenant}/endpoints/${ep}/secret`), "reveal secret", 200);
    const tested = await api("POST", `/v1/tenants/${tenant}/test-url`, { body: { url: receiverUrl("/ok") } });
    expectNoStore(tested, "test-url", 200);
    expect(JSON.stringify(tested.body)).toMatch(/whsec_/);
    const key = await api("POST", "/v1/api-keys", { body: { name: "k", scopes: ["read"], tenant_id: tenant } });
    expectNoStore(key, "create api key", 201);
    expect(key.body.key).toMatch(/^ek_/);
    const session = await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: {} });
    expectNoStore(session, "create portal session", 201);
    expect(session.body.token).toMatch(/^ps_tok_/);
  });

  it("reads, lists and errors too", async () => {
    const tenant = await createTenant();
    await createEndpoint(tenant, { url: receiverUrl("/ok") });
    expectNoStore(await api("GET", `/v1/tenants/${tenant}`), "get tenant", 200);
    expectNoStore(await api("GET", `/v1/tenants/${tenant}/endpoints`), "list endpoints", 200);
    expectNoStore(await api("GET", "/v1/tenants", { key: null }), "401", 401);
    expectNoStore(await api("GET", `/v1/tenants/${tenant}/endpoints/ep_nope`), "400 or 404", 400);
  });
});
