/**
 * The API-key resource: a key is shown once, at creation; a key bound to a tenant sees and acts on
 * that tenant only (404 for another, 403 for root-only calls) and mints keys for it alone; scopes
 * must be a non-empty list of the tenant scopes.
 */
import { describe, expect, it } from "vitest";
import { api, createTenant } from "../../helpers/api";

describe("api keys", () => {
  it("shows the key once; a tenant-bound key sees only its tenant", async () => {
    const a = await createTenant();
    const b = await createTenant();
    const created = await api("POST", "/v1/api-keys", { body: { name: "a-admin", scopes: ["admin"], tenant_id: a } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ek_/);
    const list = await api("GET", "/v1/api-keys?limit=100");
    expect(list.body.data.find((k: { id: string }) => k.id === created.body.id)).not.toHaveProperty("key");
    const key = created.body.key;
    expect((await api("GET", "/v1/tenants", { key })).body.data.map((t: { id: string }) => t.id)).toEqual([a]);
    expect((await api("GET", `/v1/tenants/${b}`, { key })).status).toBe(404);
    expect(
      (await api("POST", "/v1/api-keys", { key, body: { name: "x", scopes: ["read"], tenant_id: b } })).status,
    ).toBe(404);
    const own = await api("POST", "/v1/api-keys", { key, body: { name: "x", scopes: ["read"] } });
    expect(own.body.tenant_id).toBe(a);
    expect((await api("POST", "/v1/tenants", { key, body: { name: "x" } })).status).toBe(403);
    expect((await api("POST", "/v1/api-keys", { body: { name: "x", scopes: [] } })).status).toBe(400);
    expect((await api("POST", "/v1/api-keys", { body: { name: "x", scopes: ["root"] } })).status).toBe(400);
    expect(
      (await api("POST", "/v1/api-keys", { body: { name: "x", scopes: ["read"], tenant_id: "no_such" } })).status,
    ).toBe(404);
  });
});
