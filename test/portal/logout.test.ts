/** Logout (docs/contract.md "Portal"): a POST with the CSRF check that ends the session server-side. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createTenant } from "../helpers/api";
import { PortalClient } from "../helpers/portal";

async function signedIn(opts: { read_only?: boolean } = {}) {
  const tenant = await createTenant();
  const { client, session } = await PortalClient.open(tenant, opts);
  const home = await client.get("/portal");
  expect(home.status).toBe(200);
  return { tenant, client, session, csrf: PortalClient.csrfOf(home.html) };
}

const revokedAt = async (id: string) =>
  (await env.DB.prepare("SELECT revoked_at FROM portal_sessions WHERE id = ?")
    .bind(id)
    .first<{ revoked_at: number | null }>())!.revoked_at;

describe("logout", () => {
  it("every page has a Sign out form with the CSRF token", async () => {
    const { client, csrf } = await signedIn();
    const html = (await client.get("/portal/deliveries")).html;
    expect(html).toMatch(
      new RegExp(`<form method="post" action="/portal/logout"><input type="hidden" name="_csrf" value="${csrf}"/>`),
    );
  });

  it("revokes the session in D1: the cookie and the bearer token stop working at once", async () => {
    const { tenant, client, session, csrf } = await signedIn();
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: session.token })).status).toBe(200);
    const cookieBefore = client.cookie;
    const out = await client.post("/portal/logout", { _csrf: csrf });
    expect(out.status).toBe(200);
    expect(out.html).toContain("Signed out");
    expect(out.headers.get("set-cookie")).toMatch(/eh_portal=;.*Max-Age=0/i);
    expect(await revokedAt(session.id)).not.toBeNull();
    // Even a copy of the old cookie is dead: the session is gone server-side, not just in this browser.
    expect((await client.get("/portal", { cookie: cookieBefore })).status).toBe(401);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: session.token })).status).toBe(401);
  });

  it("refuses a cross-site logout, and one without or with a wrong CSRF token: the session lives on", async () => {
    const { client, session, csrf } = await signedIn();
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ _csrf: csrf }, { origin: "https://evil.example" }],
      [{ _csrf: csrf }, { origin: "null" }],
      [{ _csrf: csrf }, { origin: "http://edgehooks.test.evil.example" }],
      [{}, {}],
      [{ _csrf: "0".repeat(csrf.length) }, {}],
      [{ _csrf: "é".repeat(csrf.length) }, {}],
    ];
    for (const [fields, headers] of attempts) {
      const res = await client.post("/portal/logout", fields, headers);
      expect(res.status, JSON.stringify([fields, headers])).toBe(403);
    }
    expect(await revokedAt(session.id)).toBeNull();
    expect((await client.get("/portal")).status).toBe(200);
  });

  it("is POST only: a GET (a link or an <img> on another site) signs nobody out", async () => {
    const { client, session } = await signedIn();
    // 405 (with Allow: POST) since unknown methods say what the path takes; either way no sign-out.
    expect((await client.get("/portal/logout")).status).toBe(405);
    expect(await revokedAt(session.id)).toBeNull();
  });

  it("a read-only session can sign out, though it can change nothing else", async () => {
    const { client, session, csrf } = await signedIn({ read_only: true });
    expect((await client.post("/portal/endpoints", { _csrf: csrf, url: "https://example.com/x" })).status).toBe(403);
    expect((await client.post("/portal/logout", { _csrf: csrf })).status).toBe(200);
    expect(await revokedAt(session.id)).not.toBeNull();
  });

  it("signing out of one session leaves the tenant's other sessions alone", async () => {
    const a = await signedIn();
    const { client: other } = await PortalClient.open(a.tenant);
    expect((await a.client.post("/portal/logout", { _csrf: a.csrf })).status).toBe(200);
    expect((await other.get("/portal")).status).toBe(200);
  });
});
