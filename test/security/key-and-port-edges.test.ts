/**
 * Keys and destinations at their edges: test-url reaches only the web's ports unless private URLs
 * are allowed; a key bound to a tenant mints at most MAX_KEYS_PER_TENANT live keys there; a tenant
 * deleted and re-created with the same id never honours a key of its old incarnation, even one
 * another isolate still holds in its config cache.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resolvePrincipal } from "../../src/auth/principal";
import { getDb } from "../../src/db/client";
import { MAX_KEYS_PER_TENANT } from "../../src/services/api-keys";
import { deleteTenantRows } from "../../src/services/tenants";
import { TEST_URL_PORTS } from "../../src/services/test-url";
import { api, createTenant, ROOT_KEY } from "../helpers/api";
import { workerWith } from "../helpers/portal";

describe("test-url ports", () => {
  it("without ALLOW_PRIVATE_URLS only 443, 80 and 8443 are reached; any other port is 400 before a request is sent", async () => {
    expect(TEST_URL_PORTS).toEqual([443, 80, 8443]);
    const tenant = await createTenant();
    const production = workerWith({ ALLOW_PRIVATE_URLS: "false" });
    for (const url of [
      "https://example.com:22/hook",
      "https://example.com:6379/",
      "http://example.com:8080/x",
      "https://example.com:444/",
    ]) {
      const res = await production(
        new Request(`http://edgehooks.test/v1/tenants/${tenant}/test-url`, {
          method: "POST",
          headers: { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ url }),
        }),
      );
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues: { path: string; message: string }[] } };
      expect(body.error.code).toBe("bad_request");
      expect(body.error.issues[0]).toMatchObject({ path: "url", message: expect.stringMatching(/port/) });
    }
  });
});

describe("API keys minted by a tenant-bound admin key", () => {
  it(`at most MAX_KEYS_PER_TENANT live keys per tenant (409); revoking one makes room; the root key is not capped`, async () => {
    const tenant = await createTenant();
    const admin = (
      await api("POST", "/v1/api-keys", { body: { name: "bound admin", scopes: ["admin"], tenant_id: tenant } })
    ).body;
    let last: { id: string } | undefined;
    for (let i = 1; i < MAX_KEYS_PER_TENANT; i++) {
      const res = await api("POST", "/v1/api-keys", { key: admin.key, body: { name: `k${i}`, scopes: ["read"] } });
      expect(res.status, `key ${i + 1}`).toBe(201);
      last = res.body;
    }
    const over = await api("POST", "/v1/api-keys", {
      key: admin.key,
      body: { name: "one too many", scopes: ["read"] },
    });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("conflict");
    expect(over.body.error.message).toMatch(String(MAX_KEYS_PER_TENANT));
    expect((await api("DELETE", `/v1/api-keys/${last!.id}`, { key: admin.key })).status).toBe(204);
    expect(
      (await api("POST", "/v1/api-keys", { key: admin.key, body: { name: "room again", scopes: ["read"] } })).status,
    ).toBe(201);
    expect(
      (await api("POST", "/v1/api-keys", { body: { name: "by the operator", scopes: ["read"], tenant_id: tenant } }))
        .status,
    ).toBe(201);
  });
});

describe("a tenant re-created with the same id", () => {
  afterEach(() => vi.restoreAllMocks());

  it("no cached key of the old incarnation works on the new one, even within CONFIG_CACHE_TTL_S", async () => {
    const TTL_MS = 5000; // the test deployment's CONFIG_CACHE_TTL_S default
    const tenant = await createTenant();
    const old = (
      await api("POST", "/v1/api-keys", { body: { name: "old incarnation", scopes: ["admin"], tenant_id: tenant } })
    ).body;
    // This isolate caches the key; another isolate deletes the tenant (its D1 batch), so this cache still holds it.
    expect(await resolvePrincipal(env as Env, old.key, TTL_MS)).toMatchObject({ kind: "api_key", tenantId: tenant });
    const deletedAt = Date.now();
    await deleteTenantRows(getDb(env as Env), tenant, deletedAt);
    expect(await resolvePrincipal(env as Env, old.key, TTL_MS)).toMatchObject({ kind: "api_key", tenantId: tenant });
    // Re-creating the id while a cache may still hold its keys is refused, with how long to wait.
    const early = await api("POST", "/v1/tenants", { body: { id: tenant, name: "new incarnation" } });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("conflict");
    const wait = Number(early.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(TTL_MS / 1000);
    // Once the TTL has passed, every cache has let the old key go: the id can be used again, and the old key opens nothing.
    const clock = vi.spyOn(Date, "now").mockReturnValue(deletedAt + TTL_MS);
    const again = await api("POST", "/v1/tenants", { body: { id: tenant, name: "new incarnation" } });
    expect(again.status).toBe(201);
    expect(await resolvePrincipal(env as Env, old.key, TTL_MS)).toBeNull();
    expect((await api("GET", `/v1/tenants/${tenant}`, { key: old.key })).status).toBe(401);
    clock.mockRestore();
  });
});
