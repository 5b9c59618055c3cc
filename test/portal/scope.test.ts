/**
 * Portal scope (docs/contract.md "Portal"): a portal session's token acts only on its own tenant's endpoints,
 * deliveries and events. Walks every route of the OpenAPI document with the tenant's own portal
 * tokens (read-write and read-only): anything outside that answers 403 and changes nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";

/** Valid bodies, so each call reaches the scope check instead of stopping at validation. */
const BODIES: Record<string, unknown> = {
  "POST /v1/tenants": { name: "intruder" },
  "PATCH /v1/tenants/{tenant_id}": { name: "hijacked" },
  "POST /v1/api-keys": { name: "k", scopes: ["admin"], tenant_id: "__T__" },
  "POST /v1/tenants/{tenant_id}/portal-sessions": {},
  "POST /v1/event-types": { name: "portal.intruder" },
  "PATCH /v1/event-types/{name}": { description: "hijacked" },
};

/** What a portal session may reach: its tenant's data, and reads of its tenant and the catalog. */
const TENANT_DATA = /^\/v1\/tenants\/\{tenant_id\}\/(endpoints|deliveries|attempts|events|stats|test-url)(\/|$)/;
function allowedForPortal(method: string, template: string) {
  if (TENANT_DATA.test(template)) return true;
  if (method !== "get") return false;
  return [
    "/v1/tenants",
    "/v1/tenants/{tenant_id}",
    "/v1/event-types",
    "/v1/event-types/{name}",
    "/v1/tasks/{task_id}",
  ].includes(template);
}

describe("portal scope", () => {
  it("walks every route with the tenant's own portal tokens: outside its data, 403 whatever read_only says", async () => {
    const T = await createTenant();
    const endpoint = await createEndpoint(T, { url: receiverUrl(uniquePath("/ok")) });
    const event = (await api("POST", `/v1/tenants/${T}/events`, { body: { type: "a.b", data: {} } })).body;
    const delivery = (
      await eventually(
        () => api("GET", `/v1/tenants/${T}/deliveries`),
        (r) => r.body.data[0]?.status === "succeeded",
      )
    ).body.data[0];
    const attempt = (await api("GET", `/v1/tenants/${T}/attempts`)).body.data[0];
    const task = (
      await api("POST", `/v1/tenants/${T}/endpoints/${endpoint.id}/recover`, {
        body: { since: "2020-01-01T00:00:00Z" },
      })
    ).body;
    const key = (await api("POST", "/v1/api-keys", { body: { name: "T key", scopes: ["admin"], tenant_id: T } })).body;
    const victim = (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: {} })).body;
    const typeName = `scope${Date.now().toString(36)}.type`;
    await api("POST", "/v1/event-types", { body: { name: typeName } });
    const params: Record<string, string> = {
      tenant_id: T,
      endpoint_id: endpoint.id,
      event_id: event.id,
      delivery_id: delivery.id,
      attempt_id: attempt.id,
      task_id: task.id,
      key_id: key.id,
      session_id: victim.id,
      name: typeName,
    };
    const tokens = {
      "portal session": (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: {} })).body.token as string,
      "read-only portal session": (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: { read_only: true } }))
        .body.token as string,
    };

    const doc = (await api("GET", "/openapi.json", { key: null })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const problems: string[] = [];
    let refused = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (allowedForPortal(method, template)) continue;
        const route = `${method.toUpperCase()} ${template}`;
        const url = template.replace(/\{(\w+)\}/g, (_, p: string) => params[p] ?? "missing");
        const raw = BODIES[route];
        const body = raw === undefined ? undefined : JSON.parse(JSON.stringify(raw).replace("__T__", T));
        for (const [who, token] of Object.entries(tokens)) {
          const res = await api(method.toUpperCase(), url, { key: token, body });
          if (res.status !== 403) problems.push(`${who}: ${route} answered ${res.status}`);
          else if (res.body?.error?.code !== "forbidden")
            problems.push(`${who}: ${route} answered 403 without the envelope`);
          else refused++;
        }
      }
    }
    expect(problems).toEqual([]);
    // Tenant PATCH + DELETE, POST /v1/tenants, 3 API-key routes, 2 portal-session routes, 3 catalog writes, at least.
    expect(refused).toBeGreaterThanOrEqual(2 * 11);

    // Nothing changed: the tenant, its key, the other session, the catalog.
    expect((await api("GET", `/v1/tenants/${T}`)).status).toBe(200);
    expect((await api("GET", `/v1/tenants/${T}`)).body.name).toBe(`Tenant ${T}`);
    expect((await api("GET", `/v1/tenants/${T}/endpoints`, { key: key.key })).status).toBe(200);
    expect((await api("GET", `/v1/tenants/${T}/endpoints`, { key: victim.token })).status).toBe(200);
    expect(
      (await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?").bind(T).first<{ n: number }>())!
        .n,
    ).toBe(1);
    expect((await api("GET", `/v1/event-types/${typeName}`)).body.description ?? "").not.toBe("hijacked");
  });

  it("inside its data the session works as its flag says: read-write manages endpoints, read-only only reads", async () => {
    const T = await createTenant();
    const endpoint = await createEndpoint(T, { url: receiverUrl(uniquePath("/ok")) });
    const rw = (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: {} })).body.token;
    const ro = (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: { read_only: true } })).body.token;
    for (const [key, patchStatus] of [
      [rw, 200],
      [ro, 403],
    ] as const) {
      expect((await api("GET", `/v1/tenants/${T}`, { key })).status).toBe(200);
      expect((await api("GET", `/v1/tenants`, { key })).body.data.map((t: { id: string }) => t.id)).toEqual([T]);
      expect((await api("GET", `/v1/tenants/${T}/endpoints/${endpoint.id}`, { key })).status).toBe(200);
      expect((await api("GET", `/v1/tenants/${T}/deliveries`, { key })).status).toBe(200);
      expect((await api("GET", `/v1/tenants/${T}/events`, { key })).status).toBe(200);
      expect((await api("GET", "/v1/event-types", { key })).status).toBe(200);
      expect(
        (await api("PATCH", `/v1/tenants/${T}/endpoints/${endpoint.id}`, { key, body: { description: "by portal" } }))
          .status,
      ).toBe(patchStatus);
      // Ingest is the producer's job, never a portal's.
      expect((await api("POST", `/v1/tenants/${T}/events`, { key, body: { type: "a.b", data: {} } })).status).toBe(403);
    }
    expect((await api("GET", `/v1/tenants/${T}/endpoints/${endpoint.id}`)).body.description).toBe("by portal");
  });

  it("another tenant's routes answer 404, even those it could never use on its own tenant", async () => {
    const T = await createTenant();
    const other = await createTenant();
    const token = (await api("POST", `/v1/tenants/${T}/portal-sessions`, { body: {} })).body.token;
    for (const [method, path] of [
      ["PATCH", `/v1/tenants/${other}`],
      ["DELETE", `/v1/tenants/${other}`],
      ["POST", `/v1/tenants/${other}/portal-sessions`],
      ["GET", `/v1/tenants/${other}/endpoints`],
      ["GET", `/v1/tenants/${encodeURIComponent(`${T}/../${other}`)}/endpoints`],
    ] as const) {
      const res = await api(method, path, {
        key: token,
        body: method === "GET" || method === "DELETE" ? undefined : {},
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await api("GET", `/v1/tenants/${other}`)).status).toBe(200);
  });
});
