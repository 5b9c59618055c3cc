/**
 * Every route, walked from the OpenAPI document, with bad credentials and bad input: always a 4xx
 * in the one error envelope, with the request id, never a 500.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

type Doc = {
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[] }>>;
};

function expectEnvelope(
  res: { status: number; body: any; headers: Headers },
  status: number | number[],
  label: string,
) {
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toContain(res.status);
  expect(res.body?.error?.code, label).toBeTypeOf("string");
  expect(res.body.error.message, label).toBeTypeOf("string");
  expect(res.body.error.request_id, label).toBe(res.headers.get("x-request-id"));
  expect(res.body.error.request_id, label).toMatch(/^req_/);
}

async function setup() {
  const tenant = await createTenant();
  const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
  const doc = (await api("GET", "/openapi.json", { key: null })).body as Doc;
  const params: Record<string, string> = {
    tenant_id: tenant,
    endpoint_id: ep.id,
    event_id: "evt_01jd0000000000000000000000",
    delivery_id: "dlv_01jd0000000000000000000000",
    attempt_id: "att_01jd0000000000000000000000",
    task_id: "task_01jd0000000000000000000000",
    key_id: "key_01jd0000000000000000000000",
    session_id: "ps_01jd0000000000000000000000",
    name: "no.such.type",
  };
  const routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      url: template.replace(/\{(\w+)\}/g, (_, p: string) => params[p]!),
      hasBody: Boolean(op.requestBody),
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
    })),
  );
  return { tenant, routes };
}

describe("every route refuses bad credentials", () => {
  it.each([
    ["no Authorization header", null, undefined],
    ["a Basic header", null, { authorization: "Basic dXNlcjpwYXNz" }],
    ["Bearer without a token", null, { authorization: "Bearer" }],
    ["an unknown key", "ek_not_a_real_key", undefined],
    ["a malformed key", "!!!", undefined],
    ["an unknown portal token", "ps_tok_nope", undefined],
  ])("%s → 401", async (_name, key, headers) => {
    const { routes } = await setup();
    expect(routes.length).toBeGreaterThan(35);
    for (const r of routes) {
      const res = await api(r.method, r.url, {
        key: key as string | null,
        headers: headers as Record<string, string> | undefined,
        body: r.hasBody ? {} : undefined,
      });
      expectEnvelope(res, 401, `${r.method} ${r.template}`);
      expect(res.body.error.code).toBe("unauthorized");
    }
  });

  it("a revoked key is refused at once", async () => {
    const created = (await api("POST", "/v1/api-keys", { body: { name: "short-lived", scopes: ["read"] } })).body;
    expect((await api("GET", "/v1/tenants", { key: created.key })).status).toBe(200);
    expect((await api("DELETE", `/v1/api-keys/${created.id}`)).status).toBe(204);
    expectEnvelope(await api("GET", "/v1/tenants", { key: created.key }), 401, "revoked");
  });

  it("a key without the needed scope gets 403", async () => {
    const tenant = await createTenant();
    const read = (await api("POST", "/v1/api-keys", { body: { name: "r", scopes: ["read"] } })).body.key;
    const ingest = (await api("POST", "/v1/api-keys", { body: { name: "i", scopes: ["ingest"] } })).body.key;
    expectEnvelope(
      await api("POST", `/v1/tenants/${tenant}/endpoints`, { key: read, body: { url: receiverUrl("/x") } }),
      403,
      "read creates endpoint",
    );
    expectEnvelope(
      await api("POST", `/v1/tenants/${tenant}/events`, { key: read, body: { type: "a.b", data: {} } }),
      403,
      "read ingests",
    );
    expectEnvelope(await api("GET", `/v1/tenants/${tenant}/events`, { key: ingest }), 403, "ingest reads");
    expectEnvelope(
      await api("POST", "/v1/api-keys", { key: ingest, body: { name: "x", scopes: ["admin"] } }),
      403,
      "ingest mints keys",
    );
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { key: ingest, body: { type: "a.b", data: {} } })).status,
    ).toBe(202);
    expect((await api("GET", `/v1/tenants/${tenant}/events`, { key: read })).status).toBe(200);
  });
});

describe("every route refuses bad input with a 4xx envelope", () => {
  it("malformed JSON, the wrong content, unknown fields and wrong types on every body", async () => {
    const { routes } = await setup();
    for (const r of routes.filter((x) => x.hasBody)) {
      const label = `${r.method} ${r.template}`;
      expectEnvelope(
        await api(r.method, r.url, { raw: "{not json", headers: { "content-type": "application/json" } }),
        [400],
        `${label} malformed`,
      );
      expectEnvelope(
        await api(r.method, r.url, { raw: "[1,2]", headers: { "content-type": "application/json" } }),
        [400],
        `${label} array`,
      );
      expectEnvelope(
        await api(r.method, r.url, { raw: "null", headers: { "content-type": "application/json" } }),
        [400],
        `${label} null`,
      );
      const unknown = await api(r.method, r.url, { body: { surely_not_a_field: 1 } });
      expectEnvelope(unknown, [400], `${label} unknown field`);
      expect(JSON.stringify(unknown.body.error.issues ?? []), label).toContain("surely_not_a_field");
    }
  });

  it("bad ids in paths are 400 or 404, never 500", async () => {
    const { routes } = await setup();
    for (const r of routes) {
      const bad = r.url
        .replace(/(ep|evt|dlv|att|task|key|ps)_[0-9a-z]{26}/g, "$1_NOPE")
        .replace(/\/v1\/tenants\/[^/]+/, (m) => (r.template.includes("{tenant_id}") ? "/v1/tenants/bad%20tenant!" : m));
      if (bad === r.url) continue;
      const res = await api(r.method, bad, { body: r.hasBody ? {} : undefined });
      expectEnvelope(res, [400, 404], `${r.method} ${r.template} → ${bad}`);
    }
  });

  it("unknown resources of the caller's own tenant are 404", async () => {
    const { routes } = await setup();
    for (const r of routes.filter((x) =>
      /\{(event_id|delivery_id|attempt_id|task_id|key_id|session_id)\}/.test(x.template),
    )) {
      const res = await api(r.method, r.url, { body: r.hasBody ? {} : undefined });
      expectEnvelope(res, [400, 404], `${r.method} ${r.template}`);
    }
    const tenantGone = await api("GET", "/v1/tenants/no_such_tenant/events");
    expectEnvelope(tenantGone, 404, "unknown tenant");
  });

  it("list routes refuse limits outside 1..100 and cursors they did not issue", async () => {
    const { routes } = await setup();
    const lists = routes.filter((r) => r.method === "GET" && r.query.includes("limit"));
    expect(lists.length).toBeGreaterThan(6);
    for (const r of lists) {
      for (const q of ["limit=0", "limit=101", "limit=abc", "limit=1.5", "cursor=zzz", "cursor=eyJpZCI6MX0"]) {
        const res = await api("GET", `${r.url}?${q}`);
        // A list under a resource that does not exist may answer 404 first.
        const parentMissing = /\{(event_id|delivery_id)\}/.test(r.template);
        expectEnvelope(res, parentMissing ? [400, 404] : [400], `${r.template}?${q}`);
        if (res.status === 400)
          expect(res.body.error.issues?.[0]?.path ?? "", `${r.template}?${q}`).toMatch(/limit|cursor/);
      }
      expect((await api("GET", `${r.url}?limit=100`)).status, r.template).not.toBeGreaterThanOrEqual(500);
    }
  });

  it("an unknown route is a 404 envelope", async () => {
    expectEnvelope(await api("GET", "/v1/nothing-here"), 404, "unknown route");
    expectEnvelope(await api("GET", "/nothing"), 404, "unknown route outside /v1");
  });
});
