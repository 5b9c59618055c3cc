/**
 * API keys through the per-isolate config cache: a key revoked through this isolate is refused at
 * once; one revoked through another isolate (here: straight in D1, as another isolate's write
 * lands) is refused once CONFIG_CACHE_TTL_S has passed, never later. Clocks are driven, no sleeping.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolvePrincipal } from "../../src/auth/principal";
import { api, createTenant } from "../helpers/api";

const TTL_MS = 5000;

async function newKey(tenantId?: string) {
  const res = await api("POST", "/v1/api-keys", {
    body: { name: "cached", scopes: ["read"], ...(tenantId ? { tenant_id: tenantId } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

describe("API keys in the config cache", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a key revoked through another isolate works for less than the TTL, then never again", async () => {
    const { id, key } = await newKey();
    const t0 = 1_900_000_000_000;
    const clock = vi.spyOn(Date, "now").mockReturnValue(t0);
    expect(await resolvePrincipal(env as Env, key, TTL_MS)).toMatchObject({ kind: "api_key", keyId: id });
    await (env as Env).DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(t0, id).run();
    clock.mockReturnValue(t0 + TTL_MS - 1);
    expect(await resolvePrincipal(env as Env, key, TTL_MS)).toMatchObject({ kind: "api_key", keyId: id });
    clock.mockReturnValue(t0 + TTL_MS);
    expect(await resolvePrincipal(env as Env, key, TTL_MS)).toBeNull();
    // Once refused, always refused: a miss is never cached and the row stays revoked.
    clock.mockReturnValue(t0 + TTL_MS + 1);
    expect(await resolvePrincipal(env as Env, key, TTL_MS)).toBeNull();
  });

  it("with CONFIG_CACHE_TTL_S=0 nothing is cached: another isolate's revocation applies at once", async () => {
    const { id, key } = await newKey();
    expect(await resolvePrincipal(env as Env, key, 0)).toMatchObject({ kind: "api_key" });
    await (env as Env).DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), id).run();
    expect(await resolvePrincipal(env as Env, key, 0)).toBeNull();
  });

  it("a revocation through this isolate applies at once, even to a cached key", async () => {
    const { id, key } = await newKey();
    expect((await api("GET", "/v1/tenants", { key })).status).toBe(200);
    expect((await api("GET", "/v1/tenants", { key })).status).toBe(200);
    expect((await api("DELETE", `/v1/api-keys/${id}`)).status).toBe(204);
    const after = await api("GET", "/v1/tenants", { key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("unauthorized");
  });

  it("deleting a tenant drops its cached keys at once", async () => {
    const tenant = await createTenant();
    const { key } = await newKey(tenant);
    expect((await api("GET", `/v1/tenants/${tenant}`, { key })).status).toBe(200);
    expect((await api("DELETE", `/v1/tenants/${tenant}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${tenant}`, { key })).status).toBe(401);
  });

  it("the cache is keyed by the key's hash: a wrong token of the same shape is refused", async () => {
    const { key } = await newKey();
    expect(await resolvePrincipal(env as Env, key, TTL_MS)).toMatchObject({ kind: "api_key" });
    const wrong = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
    expect(await resolvePrincipal(env as Env, wrong, TTL_MS)).toBeNull();
  });
});
