/**
 * Tenant isolation: every route of the OpenAPI document, called with credentials bound to
 * another tenant (each scope, and portal sessions), must neither succeed on tenant A's resources
 * nor leak any of A's ids.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";

/** Valid bodies, so each call reaches the authorisation check instead of stopping at validation. */
const BODIES: Record<string, unknown> = {
  "POST /v1/tenants": { name: "intruder" },
  "PATCH /v1/tenants/{tenant_id}": { name: "hijacked" },
  "POST /v1/api-keys": { name: "k", scopes: ["admin"], tenant_id: "__A__" },
  "POST /v1/tenants/{tenant_id}/endpoints": { url: "https://example.com/hook" },
  "PATCH /v1/tenants/{tenant_id}/endpoints/{endpoint_id}": { description: "hijacked" },
  "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test": {},
  "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test-filter": { data: {} },
  "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret": {},
  "POST /v1/tenants/{tenant_id}/test-url": { url: "https://example.com/hook" },
  "POST /v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover": { since: "2020-01-01T00:00:00Z" },
  "POST /v1/tenants/{tenant_id}/events": { type: "a.b", data: {} },
  "POST /v1/tenants/{tenant_id}/events/batch": { events: [{ type: "a.b", data: {} }] },
  "POST /v1/tenants/{tenant_id}/portal-sessions": {},
  "POST /v1/event-types": { name: "intruder.type" },
  "PATCH /v1/event-types/{name}": { description: "hijacked" },
};

/** Routes that are not tenant data: the shared catalog may be read by any key. */
const SHARED_READS = new Set(["GET /v1/event-types", "GET /v1/event-types/{name}"]);

describe("tenant isolation", () => {
  it("walks every route with another tenant's credentials: no 2xx on A, no A id in any answer", async () => {
    const A = await createTenant("orgA");
    const B = await createTenant("orgB");
    const path = uniquePath("/ok");
    const endpoint = await createEndpoint(A, { url: receiverUrl(path) });
    const event = (await api("POST", `/v1/tenants/${A}/events`, { body: { type: "a.b", data: { secret: "A-data" } } }))
      .body;
    const delivery = (
      await eventually(
        () => api("GET", `/v1/tenants/${A}/deliveries`),
        (r) => r.body.data[0]?.status === "succeeded",
      )
    ).body.data[0];
    const attempt = (await api("GET", `/v1/tenants/${A}/attempts`)).body.data[0];
    const task = (
      await api("POST", `/v1/tenants/${A}/endpoints/${endpoint.id}/recover`, {
        body: { since: "2020-01-01T00:00:00Z" },
      })
    ).body;
    const aKey = (await api("POST", "/v1/api-keys", { body: { name: "A key", scopes: ["admin"], tenant_id: A } })).body;
    const aSession = (await api("POST", `/v1/tenants/${A}/portal-sessions`, { body: {} })).body;
    const typeName = `iso${Date.now().toString(36)}.type`;
    await api("POST", "/v1/event-types", { body: { name: typeName } });
    const aIds = [
      endpoint.id,
      event.id,
      delivery.id,
      attempt.id,
      task.id,
      aKey.id,
      aSession.id,
      endpoint.secret,
      aKey.key,
      aSession.token,
    ];

    const credentials: Record<string, string> = {};
    for (const scope of ["admin", "ingest", "read"]) {
      credentials[`B ${scope} key`] = (
        await api("POST", "/v1/api-keys", { body: { name: `B ${scope}`, scopes: [scope], tenant_id: B } })
      ).body.key;
    }
    credentials["B portal session"] = (await api("POST", `/v1/tenants/${B}/portal-sessions`, { body: {} })).body.token;
    credentials["B read-only portal session"] = (
      await api("POST", `/v1/tenants/${B}/portal-sessions`, { body: { read_only: true } })
    ).body.token;

    const doc = (await api("GET", "/openapi.json", { key: null })).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const params: Record<string, string> = {
      tenant_id: A,
      endpoint_id: endpoint.id,
      event_id: event.id,
      delivery_id: delivery.id,
      attempt_id: attempt.id,
      task_id: task.id,
      key_id: aKey.id,
      session_id: aSession.id,
      name: typeName,
    };
    const problems: string[] = [];
    let calls = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const route = `${method.toUpperCase()} ${template}`;
        const url = template.replace(/\{(\w+)\}/g, (_, p: string) => params[p] ?? "missing");
        const rawBody = BODIES[route];
        const body = rawBody === undefined ? undefined : JSON.parse(JSON.stringify(rawBody).replace("__A__", A));
        for (const [who, key] of Object.entries(credentials)) {
          calls++;
          const res = await api(method.toUpperCase(), url, { key, body });
          const text = JSON.stringify(res.body);
          const leaked = aIds.filter((id) => text.includes(id));
          if (leaked.length) problems.push(`${who}: ${route} leaked ${leaked.join(", ")}`);
          if (res.status >= 200 && res.status < 300) {
            const harmless =
              SHARED_READS.has(route) ||
              (route === "GET /v1/tenants" && !text.includes(A)) ||
              (route === "GET /v1/api-keys" && !text.includes(aKey.id));
            if (!harmless) problems.push(`${who}: ${route} answered ${res.status}`);
          } else if (template.includes("{tenant_id}") && res.status === 403 && who.includes("key")) {
            // A tenant-bound key must get 404 on another tenant's routes, never a hint that it exists.
            problems.push(`${who}: ${route} answered 403 instead of 404`);
          }
          if (res.status >= 500) problems.push(`${who}: ${route} answered ${res.status}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(150);
    expect(problems).toEqual([]);

    // And tenant A's data is untouched.
    expect((await api("GET", `/v1/tenants/${A}`)).body.name).toBe(`Tenant ${A}`);
    expect((await api("GET", `/v1/tenants/${A}/endpoints/${endpoint.id}`)).body.description).toBe("");
  });
});
