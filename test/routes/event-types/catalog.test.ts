/**
 * The event-type catalog: types are created, read, listed, updated and deleted (a bad body is 400
 * naming the field); a tenant-bound key may read the shared catalog but not change it. At ingest an
 * event's data is checked against its type's JSON Schema (422 naming each failing path, each event
 * of a batch on its own); a deprecated type still delivers and is flagged; and an endpoint's test
 * sends the type's example when given no data.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../../helpers/api";
import { receiverUrl, uniquePath } from "../../helpers/receiver";

let n = 0;
const typeName = () => `cat${Date.now().toString(36)}${n++}.completed`;

const schema = {
  type: "object",
  required: ["job_id", "pages"],
  properties: {
    job_id: { type: "string" },
    pages: { type: "integer", minimum: 1 },
    meta: { type: "object", properties: { tier: { enum: ["free", "pro"] } } },
  },
  additionalProperties: false,
};

describe("event-type catalog", () => {
  it("creates, reads, lists, updates and deletes", async () => {
    const name = typeName();
    const created = await api("POST", "/v1/event-types", {
      body: { name, description: "A job finished", schema, example: { job_id: "j1", pages: 2 } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name,
      description: "A job finished",
      deprecated: false,
      example: { job_id: "j1", pages: 2 },
    });
    expect((await api("POST", "/v1/event-types", { body: { name } })).status).toBe(409);
    expect((await api("GET", `/v1/event-types/${name}`)).body.schema).toEqual(schema);
    const list = await api("GET", "/v1/event-types?limit=100");
    expect(list.body.data.map((t: { name: string }) => t.name)).toContain(name);
    const patched = await api("PATCH", `/v1/event-types/${name}`, { body: { deprecated: true } });
    expect(patched.body.deprecated).toBe(true);
    expect((await api("DELETE", `/v1/event-types/${name}`)).status).toBe(204);
    expect((await api("GET", `/v1/event-types/${name}`)).status).toBe(404);
  });

  it.each([
    [{ name: "job.*" }, "name"],
    [{ name: "x.y", schema: "not a schema" }, "schema"],
    [{ name: "x.y", schema: { type: "object", required: ["a"] }, example: { b: 1 } }, "example"],
    [{ name: "x.y", unknown: 1 }, "unknown"],
  ])("refuses %j (issue on %s)", async (body, path) => {
    const res = await api("POST", "/v1/event-types", { body });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).join(" ")).toContain(path);
  });

  it("a tenant-bound admin key cannot change the shared catalog but can read it", async () => {
    const tenant = await createTenant();
    const key = (await api("POST", "/v1/api-keys", { body: { name: "t", scopes: ["admin"], tenant_id: tenant } })).body
      .key;
    expect((await api("POST", "/v1/event-types", { body: { name: typeName() }, key })).status).toBe(403);
    expect((await api("GET", "/v1/event-types", { key })).status).toBe(200);
  });
});

describe("schema validation at ingest", () => {
  it("passes matching data and answers 422 naming each failing path", async () => {
    const name = typeName();
    await api("POST", "/v1/event-types", { body: { name, schema } });
    const tenant = await createTenant();
    const ok = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: name, data: { job_id: "j", pages: 3 } },
    });
    expect(ok.status).toBe(202);

    const bad = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: name, data: { job_id: 7, pages: 0, meta: { tier: "gold" }, extra: true } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("unprocessable");
    const paths = bad.body.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["data.job_id", "data.pages", "data.meta.tier"]));

    const missing = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: "text" } });
    expect(missing.status).toBe(422);

    // Types without a catalog entry are not validated.
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "free.form", data: 1 } })).status).toBe(
      202,
    );
  });

  it("validates each event of a batch on its own", async () => {
    const name = typeName();
    await api("POST", "/v1/event-types", { body: { name, schema } });
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: name, data: { job_id: "a", pages: 1 } },
          { type: name, data: { job_id: "b" } },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.data[0].id).toMatch(/^evt_/);
    expect(res.body.data[1].error).toMatchObject({ code: "unprocessable" });
  });

  it("deprecated types still deliver and are flagged", async () => {
    const name = typeName();
    await api("POST", "/v1/event-types", { body: { name, deprecated: true } });
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: {} } });
    expect(res.status).toBe(202);
    expect(res.body.type_deprecated).toBe(true);
    expect(res.headers.get("deprecation")).toBe("true");
  });

  it("the endpoint test button sends the type's example when given no data", async () => {
    const name = typeName();
    await api("POST", "/v1/event-types", { body: { name, example: { job_id: "example", pages: 9 } } });
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: { event_type: name } });
    expect(res.status).toBe(200);
    const { received } = await import("../../helpers/receiver");
    const [got] = await received(path);
    expect(JSON.parse(got!.body)).toMatchObject({ type: name, data: { job_id: "example", pages: 9 } });
  });
});
