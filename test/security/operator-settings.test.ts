/**
 * Settings the operator owns. A tenant's `environment` (sandbox lifts the https-only rule) and a
 * longer `retention_days` are for the root key or an admin key bound to no tenant; a key bound to
 * the tenant may rename it, edit its metadata and shorten its retention. The portal's
 * PORTAL_LOGO_URL and PORTAL_FRAME_ANCESTORS end up in the CSP header: a bad value is refused at
 * start with a message that names it, never dropped or copied into a header.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../src/config";
import { parseFrameOrigin, parseLogoUrl } from "../../src/lib/portal-settings";
import { api, uniqueTenantId } from "../helpers/api";
import { workerWith } from "../helpers/portal";

async function tenantWithBoundAdmin(retention = 10) {
  const id = uniqueTenantId();
  expect((await api("POST", "/v1/tenants", { body: { id, name: id, retention_days: retention } })).status).toBe(201);
  const key = (await api("POST", "/v1/api-keys", { body: { name: "bound admin", scopes: ["admin"], tenant_id: id } }))
    .body.key as string;
  return { id, key };
}

describe("tenant settings the operator owns", () => {
  it("a tenant-bound admin key cannot change the environment (403 in the envelope), even to sandbox", async () => {
    const { id, key } = await tenantWithBoundAdmin();
    for (const environment of ["sandbox", "production"]) {
      const res = await api("PATCH", `/v1/tenants/${id}`, { key, body: { environment } });
      expect(res.status, environment).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
    }
    expect((await api("GET", `/v1/tenants/${id}`)).body.environment).toBe("production");
    // The root key and an admin key bound to no tenant may.
    expect((await api("PATCH", `/v1/tenants/${id}`, { body: { environment: "sandbox" } })).status).toBe(200);
    const unbound = (await api("POST", "/v1/api-keys", { body: { name: "operator", scopes: ["admin"] } })).body
      .key as string;
    expect(
      (await api("PATCH", `/v1/tenants/${id}`, { key: unbound, body: { environment: "production" } })).status,
    ).toBe(200);
  });

  it("a tenant-bound admin key may shorten retention_days and rename, but not lengthen retention", async () => {
    const { id, key } = await tenantWithBoundAdmin(10);
    const longer = await api("PATCH", `/v1/tenants/${id}`, { key, body: { retention_days: 20 } });
    expect(longer.status).toBe(403);
    expect(longer.body.error.code).toBe("forbidden");
    expect((await api("GET", `/v1/tenants/${id}`)).body.retention_days).toBe(10);
    const shorter = await api("PATCH", `/v1/tenants/${id}`, { key, body: { retention_days: 5, name: "renamed" } });
    expect(shorter.status).toBe(200);
    expect(shorter.body).toMatchObject({ retention_days: 5, name: "renamed" });
    expect((await api("PATCH", `/v1/tenants/${id}`, { key, body: { retention_days: 5 } })).status).toBe(200);
    expect((await api("PATCH", `/v1/tenants/${id}`, { body: { retention_days: 20 } })).status).toBe(200);
  });
});

describe("portal settings that reach the CSP are refused at start", () => {
  it("a logo URL whose host carries CSP syntax is refused (it reached img-src)", () => {
    for (const bad of [
      "https://cdn.example.com;script-src*;x/logo.png",
      "https://cdn.example.com'/logo.png",
      "https://*.example.com/logo.png",
      "https://cdn,example.com/x",
    ]) {
      expect(parseLogoUrl(bad, false).ok, bad).toBe(false);
    }
    expect(parseLogoUrl("https://cdn.example.com/brand/logo.png?v=2", false)).toEqual({
      ok: true,
      url: "https://cdn.example.com/brand/logo.png?v=2",
    });
  });

  it("frame ancestors: a wildcard only as the leftmost label of a domain that is not a public suffix or a shared platform", () => {
    for (const bad of [
      "https://*.com",
      "https://*.workers.dev",
      "https://*.pages.dev",
      "https://*.co.uk",
      "https://*.github.io",
      "https://*.*.acme.example",
      "https://a.*.acme.example",
      "https://*.[::1]",
      "https://*.127.0.0.1",
      "https://*",
    ]) {
      expect(parseFrameOrigin(bad, false).ok, bad).toBe(false);
    }
    for (const good of [
      "https://*.acme.example",
      "https://*.dash.acme.co.uk",
      "https://dash.workers.dev",
      "https://my-app.workers.dev",
    ]) {
      expect(parseFrameOrigin(good, false).ok, good).toBe(true);
    }
  });

  it("readConfig refuses a bad value with a message naming the variable; the Worker answers nothing with it", async () => {
    const cases: [Partial<Env>, RegExp][] = [
      [{ PORTAL_LOGO_URL: "https://cdn.example.com;script-src*;x/logo.png" }, /PORTAL_LOGO_URL/],
      [
        { PORTAL_FRAME_ANCESTORS: "https://dash.example https://*.workers.dev" },
        /PORTAL_FRAME_ANCESTORS.*\*\.workers\.dev/,
      ],
      [{ PORTAL_FRAME_ANCESTORS: "https://a.example;script-src *" }, /PORTAL_FRAME_ANCESTORS/],
    ];
    for (const [vars, message] of cases) {
      expect(() => readConfig({ ...(env as Env), ...vars })).toThrow(ConfigError);
      expect(() => readConfig({ ...(env as Env), ...vars })).toThrow(message);
      const res = await workerWith(vars as Record<string, string>)(new Request("http://edgehooks.test/portal"));
      expect(res.status).toBe(500);
      expect(res.headers.get("content-security-policy") ?? "").not.toMatch(/script-src|workers\.dev/);
    }
  });
});
