/** Portal sessions, cookies, CSRF, expiry, revocation and read-only rules, server side. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath } from "../helpers/receiver";

describe("magic link", () => {
  it("carries a one-time code, not the token; sets an HttpOnly, Lax cookie of its own and leaves the address bar clean", async () => {
    const tenant = await createTenant();
    const { client, session, login } = await PortalClient.open(tenant);
    expect(session.url).toMatch(/\/portal\/login\?code=ps_code_[A-Za-z0-9_-]{43}$/);
    expect(session.url).not.toContain(session.token);
    // The default lifetime is one hour.
    const ttl = Date.parse(session.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(3500_000);
    expect(ttl).toBeLessThanOrEqual(3600_000);
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/portal");
    expect(login.headers.get("referrer-policy")).toBe("no-referrer");
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^eh_portal=ps_ck_/);
    expect(cookie).not.toContain(session.token);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/portal/i);
    expect(cookie).toMatch(/Max-Age=(3[56]\d\d)/);
    // http://edgehooks.test cannot keep a Secure cookie; https and loopback origins get one (cookie.test.ts).
    expect(cookie).not.toMatch(/Secure/i);
    const home = await client.get("/portal");
    expect(home.status).toBe(200);
    expect(home.html).toContain("Endpoints");
    expect(home.html).toContain(tenant);
    expect(home.html).not.toContain(session.token);
  });

  it.each([["code=ps_code_nope"], ["code="], ["code=ek_root_test_key_0123456789"], ["token=ps_tok_nope"], [""]])(
    "refuses %j",
    async (query) => {
      const client = new PortalClient();
      const res = await client.get(`/portal/login?${query}`);
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect((await client.get("/portal")).status).toBe(401);
    },
  );

  it("an expired session stops working at once; so does a revoked one", async () => {
    const tenant = await createTenant();
    const a = await PortalClient.open(tenant, { expires_in_s: 60 });
    expect((await a.client.get("/portal")).status).toBe(200);
    await env.DB.prepare("UPDATE portal_sessions SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, a.session.id)
      .run();
    expect((await a.client.get("/portal")).status).toBe(401);
    // The bearer use of the token expires with it.
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: a.session.token })).status).toBe(401);

    const b = await PortalClient.open(tenant);
    expect((await b.client.get("/portal")).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/${tenant}/portal-sessions/${b.session.id}`)).status).toBe(204);
    expect((await b.client.get("/portal")).status).toBe(401);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: b.session.token })).status).toBe(401);
  });

  it("expires_in_s is bounded: 60 s .. 7 days", async () => {
    const tenant = await createTenant();
    for (const expires_in_s of [59, 604_801, 1.5]) {
      expect((await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { expires_in_s } })).status).toBe(400);
    }
    const week = await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { expires_in_s: 604_800 } });
    expect(Date.parse(week.body.expires_at) - Date.now()).toBeGreaterThan(604_700_000);
  });
});

describe("CSRF", () => {
  it("refuses POSTs without the token, with a wrong one, or from another origin", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    const { client } = await PortalClient.open(tenant);
    const page = await client.get(`/portal/endpoints/${ep.id}`);
    const token = PortalClient.csrfOf(page.html);
    const action = `/portal/endpoints/${ep.id}/disable`;
    expect((await client.post(action, {})).status).toBe(403);
    expect((await client.post(action, { _csrf: "0".repeat(token.length) })).status).toBe(403);
    expect((await client.post(action, { _csrf: token }, { origin: "https://evil.example" })).status).toBe(403);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).body.status).toBe("active");
    const ok = await client.post(action, { _csrf: token });
    expect(ok.status).toBe(303);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).body.status).toBe("disabled");
  });

  it("a token from one session does not work in another", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    const a = await PortalClient.open(tenant);
    const b = await PortalClient.open(tenant);
    const tokenA = PortalClient.csrfOf((await a.client.get(`/portal/endpoints/${ep.id}`)).html);
    expect((await b.client.post(`/portal/endpoints/${ep.id}/disable`, { _csrf: tokenA })).status).toBe(403);
  });
});

describe("read-only sessions", () => {
  it("render no forms and refuse every POST", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    const { client } = await PortalClient.open(tenant, { read_only: true });
    for (const path of ["/portal", `/portal/endpoints/${ep.id}`, "/portal/deliveries"]) {
      const page = await client.get(path);
      expect(page.status, path).toBe(200);
      // The one form left is Sign out.
      expect(page.html.match(/method="post"/g), path).toHaveLength(1);
      expect(page.html, path).toContain('action="/portal/logout"');
      expect(page.html, path).toContain("read-only");
    }
    expect((await client.get("/portal/endpoints/new")).status).toBe(403);
    // Even with a valid CSRF token (computed the way the server does), POSTs are refused.
    const { csrfToken } = await import("../../src/portal/session");
    const sessionId = (await env.DB.prepare("SELECT id FROM portal_sessions WHERE tenant_id = ? AND read_only = 1")
      .bind(tenant)
      .first<{ id: string }>())!.id;
    const token = await csrfToken(env.ENCRYPTION_KEY, sessionId);
    for (const action of [
      "/portal/endpoints",
      `/portal/endpoints/${ep.id}/disable`,
      `/portal/endpoints/${ep.id}/delete`,
      `/portal/endpoints/${ep.id}/test`,
      `/portal/endpoints/${ep.id}/rotate`,
    ]) {
      expect((await client.post(action, { _csrf: token, url: "https://example.com" })).status, action).toBe(403);
    }
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).body.status).toBe("active");
  });
});

describe("tenant scope", () => {
  it("another tenant's endpoint and delivery ids give 404", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const epB = await createEndpoint(b, { url: receiverUrl(uniquePath("/ok")) });
    await api("POST", `/v1/tenants/${b}/endpoints/${epB.id}/test`, { body: {} });
    const dlvB = (await api("GET", `/v1/tenants/${b}/deliveries`)).body.data[0].id;
    const { client } = await PortalClient.open(a);
    const token = PortalClient.csrfOf((await client.get("/portal/endpoints/new")).html);
    expect((await client.get(`/portal/endpoints/${epB.id}`)).status).toBe(404);
    expect((await client.get(`/portal/endpoints/${epB.id}/edit`)).status).toBe(404);
    expect((await client.get(`/portal/deliveries/${dlvB}`)).status).toBe(404);
    expect((await client.post(`/portal/endpoints/${epB.id}/disable`, { _csrf: token })).status).toBe(404);
    expect((await client.post(`/portal/deliveries/${dlvB}/retry`, { _csrf: token })).status).toBe(404);
    const list = await client.get(`/portal/deliveries?endpoint_id=${epB.id}`);
    expect(list.html).not.toContain(dlvB);
  });
});
