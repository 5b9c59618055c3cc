/**
 * The portal link's one-time login code (docs/contract.md "Portal"): valid 10 minutes, used once, stored
 * hashed, exchanged for a cookie of its own. Time is driven by passing `now` to the service verb
 * and by moving the stored expiry; nothing sleeps.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { exchangeLoginCode, LOGIN_CODE_TTL_MS } from "../../src/services/portal-sessions";
import { api, createTenant } from "../helpers/api";
import { PortalClient } from "../helpers/portal";

const codeOf = (url: string) => new URL(url).searchParams.get("code")!;

async function newSession(tenant: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body });
  expect(res.status).toBe(201);
  return res.body as { id: string; url: string; token: string; expires_at: string };
}

describe("one-time login code", () => {
  it("opens the portal once; a second browser with the same link gets a clear page and no cookie", async () => {
    const tenant = await createTenant();
    const { client, session, login } = await PortalClient.open(tenant);
    expect(login.status).toBe(303);
    expect((await client.get("/portal")).status).toBe(200);

    const other = new PortalClient();
    const again = await other.get(PortalClient.linkPath(session.url));
    expect(again.status).toBe(410);
    expect(again.html).toContain("This link was already used");
    expect(again.headers.get("set-cookie")).toBeNull();
    expect((await other.get("/portal")).status).toBe(401);
    // The first browser is still signed in.
    expect((await client.get("/portal")).status).toBe(200);
  });

  it("the browser that used the link may open it again (a reload) and stays signed in", async () => {
    const tenant = await createTenant();
    const { client, session } = await PortalClient.open(tenant);
    const reload = await client.get(PortalClient.linkPath(session.url));
    expect(reload.status).toBe(303);
    expect(reload.headers.get("location")).toBe("/portal");
    expect((await client.get("/portal")).status).toBe(200);
  });

  it("is stored hashed: neither the code, the cookie nor the token is in D1", async () => {
    const tenant = await createTenant();
    const { client, session } = await PortalClient.open(tenant);
    const row = await env.DB.prepare("SELECT * FROM portal_sessions WHERE id = ?")
      .bind(session.id)
      .first<Record<string, unknown>>();
    const stored = JSON.stringify(row);
    const cookie = client.cookie.split("=")[1]!;
    for (const secret of [codeOf(session.url), cookie, session.token]) expect(stored).not.toContain(secret);
    expect(row!.login_code_used_at).not.toBeNull();
  });

  it("expires after 10 minutes (the service verb at now + 10 min), and never outlives its session", async () => {
    const tenant = await createTenant();
    const db = getDb(env);
    const created = Date.now();
    const a = await newSession(tenant);
    const b = await newSession(tenant);
    const row = await env.DB.prepare("SELECT created_at, login_code_expires_at FROM portal_sessions WHERE id = ?")
      .bind(a.id)
      .first<{ created_at: number; login_code_expires_at: number }>();
    expect(row!.login_code_expires_at - row!.created_at).toBe(LOGIN_CODE_TTL_MS);
    // One millisecond past the 10 minutes: refused, and the code stays unused.
    const late = await exchangeLoginCode(db, codeOf(a.url), row!.login_code_expires_at);
    expect(late).toEqual({ ok: false, reason: "expired", sessionId: a.id });
    // Just inside the window: accepted.
    const inTime = await exchangeLoginCode(db, codeOf(b.url), created + LOGIN_CODE_TTL_MS - 1000);
    expect(inTime.ok).toBe(true);

    // A 60-second session's code dies with the session.
    const short = await newSession(tenant, { expires_in_s: 60 });
    const shortRow = await env.DB.prepare("SELECT expires_at, login_code_expires_at FROM portal_sessions WHERE id = ?")
      .bind(short.id)
      .first<{ expires_at: number; login_code_expires_at: number }>();
    expect(shortRow!.login_code_expires_at).toBe(shortRow!.expires_at);
  });

  it("an expired link answers a clear page over HTTP", async () => {
    const tenant = await createTenant();
    const s = await newSession(tenant);
    await env.DB.prepare("UPDATE portal_sessions SET login_code_expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, s.id)
      .run();
    const client = new PortalClient();
    const res = await client.get(PortalClient.linkPath(s.url));
    expect(res.status).toBe(410);
    expect(res.html).toContain("This link has expired");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("two browsers racing with one link: exactly one gets in", async () => {
    const tenant = await createTenant();
    const s = await newSession(tenant);
    const clients = Array.from({ length: 6 }, () => new PortalClient());
    const answers = await Promise.all(clients.map((c) => c.follow(PortalClient.linkPath(s.url))));
    expect(answers.map((a) => a.status).sort()).toEqual([303, 410, 410, 410, 410, 410]);
  });

  it("a revoked session's link opens nothing", async () => {
    const tenant = await createTenant();
    const s = await newSession(tenant);
    expect((await api("DELETE", `/v1/tenants/${tenant}/portal-sessions/${s.id}`)).status).toBe(204);
    const res = await new PortalClient().get(PortalClient.linkPath(s.url));
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("old-style links with the bearer token are refused (no login CSRF), and the token stays a bearer key only", async () => {
    const tenant = await createTenant();
    const s = await newSession(tenant);
    const client = new PortalClient();
    const res = await client.get(`/portal/login?token=${s.token}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    // Nor does the token work as the code or as a cookie.
    expect((await client.get(`/portal/login?code=${s.token}`)).status).toBe(401);
    expect((await client.get("/portal", { cookie: `eh_portal=${s.token}` })).status).toBe(401);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: s.token })).status).toBe(200);
    // The code is not a bearer key either, and neither is the cookie minted from it.
    const { client: browser } = await PortalClient.open(tenant);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: codeOf(s.url) })).status).toBe(401);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`, { key: browser.cookie.split("=")[1]! })).status).toBe(
      401,
    );
  });

  it("a link loaded as an image or script by another page is refused and stays unused", async () => {
    const tenant = await createTenant();
    const s = await newSession(tenant);
    for (const dest of ["image", "script", "style", "empty"]) {
      const res = await new PortalClient().get(PortalClient.linkPath(s.url), { "sec-fetch-dest": dest });
      expect(res.status, dest).toBe(403);
      expect(res.headers.get("set-cookie"), dest).toBeNull();
    }
    // An iframe may open it (the embedded portal), once: its page, then the frame's own form.
    expect((await new PortalClient().follow(PortalClient.linkPath(s.url), { "sec-fetch-dest": "iframe" })).status).toBe(
      303,
    );
  });
});
