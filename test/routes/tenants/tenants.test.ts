/**
 * The tenant resource over the API: a tenant is created with its own id or a generated one, read,
 * listed, patched and deleted (then 404); a second tenant with the same id is 409, and an id that is
 * not 1..64 characters of the allowed set is 400.
 */
import { describe, expect, it } from "vitest";
import { api, uniqueTenantId } from "../../helpers/api";

describe("tenants", () => {
  it("create (own id or generated), get, list, patch, delete", async () => {
    const id = uniqueTenantId("org");
    const created = await api("POST", "/v1/tenants", { body: { id, name: "Acme", metadata: { plan: "pro" } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, name: "Acme", metadata: { plan: "pro" } });
    expect((await api("POST", "/v1/tenants", { body: { id, name: "dup" } })).status).toBe(409);
    const generated = await api("POST", "/v1/tenants", { body: { name: "No id" } });
    expect(generated.body.id).toMatch(/^tnt_/);
    expect((await api("GET", `/v1/tenants/${id}`)).body.name).toBe("Acme");
    expect((await api("PATCH", `/v1/tenants/${id}`, { body: { name: "Acme 2" } })).body.name).toBe("Acme 2");
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${id}`)).status).toBe(404);
    expect((await api("DELETE", `/v1/tenants/${id}`)).status).toBe(404);
  });

  it.each([["bad id!"], ["x".repeat(65)], [""]])("refuses tenant id %j", async (id) => {
    expect((await api("POST", "/v1/tenants", { body: { id, name: "x" } })).status).toBe(400);
  });
});
