/**
 * The document against the running routes: every operation has a unique camelCase operationId,
 * every answer declares x-request-id (and 429 and 503 Retry-After), and for each operation every
 * documented error status is provoked for real while every status provoked is documented. The
 * success statuses are checked by every-route.test.ts, which calls each route with a real body.
 * 500 and 503 are documented everywhere and cannot be provoked on purpose through a route (503 is
 * an overloaded or reset Durable Object), so they are the exceptions; test/api/unavailable.test.ts
 * provokes 503 through the real error handler.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { tenantLogFor } from "../../src/tenant-log/client";
import { api, createEndpoint, ROOT_KEY } from "../helpers/api";
import { type Fixture, makeFixture, validBody } from "../helpers/fixtures";
import { receiverUrl, uniquePath } from "../helpers/receiver";

type Op = {
  operationId?: string;
  parameters?: { name: string; in: string; schema?: { pattern?: string } }[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, unknown> }>;
};
interface Operation {
  method: string;
  path: string;
  op: Op;
}

let doc: { paths: Record<string, Record<string, Op>> };
let ops: Operation[];
let fx: Fixture;
let deadLetterId: string;
let readKey: string;
let ingestKey: string;

const fill = (path: string, values: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? `<${name}>`));

/** A well-formed id of the right kind that names nothing. */
function unknownValue(param: Op["parameters"] extends (infer P)[] | undefined ? P : never): string {
  if (param.name === "tenant_id") return "org_no_such_tenant";
  if (param.name === "name") return "no.such.type";
  const prefix = /\^(\w+?)_/.exec(param.schema?.pattern ?? "")?.[1];
  return `${prefix}_${"0".repeat(26)}`;
}

const strict = () => (env as unknown as { STRICT_INGEST_LIMITER: RateLimit }).STRICT_INGEST_LIMITER;
const strictEnv = () => ({ ...env, INGEST_LIMITER: strict(), TENANT_ACTION_LIMITER: strict() });

/** The operations whose 429 is the per-tenant action limit (root key, counted per tenant and action). */
const ACTION_LIMITED = new Set([
  "testEndpoint",
  "testEndpointFilter",
  "testUrl",
  "retryDelivery",
  "recoverEndpoint",
  "resendEvent",
  "createReplay",
]);

/**
 * Documented statuses this walk cannot reach in the test deployment, each with where it is provoked
 * for real instead. Named one by one, so a new undocumented exception still fails.
 */
const PROVOKED_ELSEWHERE: Record<string, number[]> = {
  // 1,000 endpoints: test/security/limits.test.ts fills a tenant to MAX_ENDPOINTS_PER_TENANT.
  createEndpoint: [409],
  // MAX_ENDPOINTS_PER_URL endpoints on one URL first: test/security/amplification.test.ts.
  updateEndpoint: [409],
  // Leaving the sandbox with http:// endpoints needs ALLOW_HTTP_URLS=false: test/routes/endpoints/sandbox-and-test-url.test.ts.
  updateTenant: [409],
  // A compare-and-set lost 8 times in a row: the race itself is in test/routes/endpoints/secrets.test.ts.
  rotateEndpointSecret: [409],
  commitEndpointSecretRotation: [409],
  // 50 live keys minted by a key bound to the tenant: test/security/key-and-port-edges.test.ts.
  createApiKey: [409],
};

beforeAll(async () => {
  doc = (await api("GET", "/openapi.json", { key: null })).body;
  ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  fx = await makeFixture();
  // A dead letter of the fixture's tenant, as the DLQ consumer records one, for the operator routes.
  deadLetterId = `dlq_01jd${Date.now().toString(36).padStart(22, "0")}`;
  await tenantLogFor(env, fx.tenant_id).addDeadLetters([
    {
      id: deadLetterId,
      queue: "edgehooks-events",
      kind: "fanout",
      body: JSON.stringify({ v: 2, kind: "fanout", tenant_id: fx.tenant_id, event_ids: [fx.event_id], origin: "" }),
      attempts: 10,
      redrives: 0,
      createdAt: Date.now(),
      redrivenAt: null,
    },
  ]);
  readKey = (await api("POST", "/v1/api-keys", { body: { name: "reader", scopes: ["read"] } })).body.key;
  ingestKey = (await api("POST", "/v1/api-keys", { body: { name: "ingester", scopes: ["ingest"] } })).body.key;
});

describe("operation ids", () => {
  it("every operation has one, camelCase verb + noun, unique", () => {
    const ids = ops.map((o) => o.op.operationId);
    expect(ops.filter((o) => !o.op.operationId).map((o) => `${o.method} ${o.path}`)).toEqual([]);
    expect(
      ids.filter(
        (id) =>
          !/^(create|list|get|update|delete|revoke|enable|disable|test|rotate|commit|recover|resend|retry|cancel|redrive)[A-Z][A-Za-z]+$/.test(
            id!,
          ),
      ),
    ).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every answer declares x-request-id, and 429 and 503 declare Retry-After", () => {
    const missing: string[] = [];
    for (const { method, path, op } of ops) {
      for (const [status, res] of Object.entries(op.responses)) {
        if (!res.headers?.["x-request-id"]) missing.push(`${method} ${path} ${status}: x-request-id`);
        if ((status === "429" || status === "503") && !res.headers?.["retry-after"])
          missing.push(`${method} ${path} ${status}: retry-after`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("documented error statuses are the ones each route answers", () => {
  /** What each operation really answered, with the request id of every answer checked. */
  const seen = new Map<string, Set<number>>();
  const problems: string[] = [];

  async function call(
    o: Operation,
    path: string,
    init: { key?: string | null; raw?: string; contentType?: string; viaStrictLimiter?: boolean } = {},
  ) {
    const headers: Record<string, string> = {};
    const key = init.key === undefined ? ROOT_KEY : init.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (init.raw !== undefined) headers["content-type"] = init.contentType ?? "application/json";
    const request = new Request(`http://edgehooks.test${path}`, { method: o.method, headers, body: init.raw });
    const res = init.viaStrictLimiter
      ? await createApp().fetch(request, strictEnv(), createExecutionContext())
      : await (await import("cloudflare:test")).SELF.fetch(request);
    const text = await res.text();
    if (!/^req_[0-9a-z]{26}$/.test(res.headers.get("x-request-id") ?? ""))
      problems.push(`${o.op.operationId} ${res.status}: no x-request-id`);
    if (res.status >= 400) {
      const body = JSON.parse(text);
      if (body?.error?.request_id !== res.headers.get("x-request-id"))
        problems.push(`${o.op.operationId} ${res.status}: envelope request_id differs`);
    }
    const set = seen.get(o.op.operationId!) ?? new Set<number>();
    set.add(res.status);
    seen.set(o.op.operationId!, set);
    return res.status;
  }

  it("provokes each documented status of every operation, and only documented ones", async () => {
    const values: Record<string, string> = { ...fx, dead_letter_id: deadLetterId };
    for (const o of ops) {
      const params = (o.op.parameters ?? []).filter((p) => p.in === "path");
      const good = fill(o.path, values);
      const hasBody = Boolean(o.op.requestBody);
      const query = (o.op.parameters ?? []).some((p) => p.in === "query" && p.name === "limit");
      // Validation comes before authorisation and lookups, so those are provoked with a valid body.
      const body = () => (hasBody ? JSON.stringify(validBody(o.op.operationId!)) : undefined);
      // 401: no key.
      await call(o, good, { key: null, raw: body() });
      // 403: a key without the scope (the read key for writes, the ingest key for reads).
      for (const key of [readKey, ingestKey]) {
        const status = await call(o, good, { key, raw: body() });
        if (status === 403) break;
      }
      // 404: each path parameter in turn names nothing.
      for (const p of params) await call(o, fill(o.path, { ...values, [p.name]: unknownValue(p) }), { raw: body() });
      // 400: an unknown body field, else a bad page size, else a malformed path parameter.
      if (hasBody) await call(o, good, { raw: JSON.stringify({ zz_unknown: 1 }) });
      else if (query) await call(o, `${good}?limit=0`);
      else if (params.length) await call(o, fill(o.path, { ...values, [params[params.length - 1]!.name]: "bad id!" }));
      // 415: a body that is not JSON.
      if (hasBody) await call(o, good, { raw: "type=job.completed", contentType: "text/plain" });
      // 413: one byte over 1 MiB, where the route documents it.
      if (o.op.responses["413"])
        await call(o, good, { raw: JSON.stringify({ type: "a.b", data: "x".repeat(1024 * 1024) }) });
      // 429: the real Rate Limiting binding at 3 requests / 10 s (vitest.config.ts), with a fresh key.
      if (o.op.responses["429"] && ACTION_LIMITED.has(o.op.operationId!)) {
        // All four at once: each counts when it starts, so a slow one (a retry is a real attempt)
        // cannot let the 10 s window pass before the fourth.
        await Promise.all(Array.from({ length: 4 }, () => call(o, good, { raw: body(), viaStrictLimiter: true })));
      } else if (o.op.responses["429"]) {
        const key = (
          await api("POST", "/v1/api-keys", {
            body: { name: `limited-${o.op.operationId}`, scopes: ["ingest"], tenant_id: fx.tenant_id },
          })
        ).body.key;
        const body = JSON.stringify(
          o.op.operationId === "createEventBatch" ? { events: [{ type: "a.b", data: {} }] } : { type: "a.b", data: {} },
        );
        for (let i = 0; i < 4; i++) await call(o, good, { key, raw: body, viaStrictLimiter: true });
      }
    }

    // The statuses that need a particular state.
    const byId = (id: string) => ops.find((o) => o.op.operationId === id)!;
    const post = (id: string, values: Record<string, string>, body: unknown) =>
      call(byId(id), fill(byId(id).path, values), { raw: JSON.stringify(body) });
    await post("createTenant", {}, { id: fx.tenant_id, name: "again" }); // 409
    await post("createEventType", {}, { name: fx.name }); // 409
    await post("createEvent", { tenant_id: fx.tenant_id }, { id: "reused-key", type: "a.b", data: { n: 1 } });
    await post("createEvent", { tenant_id: fx.tenant_id }, { id: "reused-key", type: "a.b", data: { n: 2 } }); // 409
    const typed = `fixture.typed${Date.now().toString(36)}`;
    await api("POST", "/v1/event-types", { body: { name: typed, schema: { type: "object", required: ["n"] } } });
    await post("createEvent", { tenant_id: fx.tenant_id }, { type: typed, data: {} }); // 422
    // A delivery whose endpoint is deleted: cancelled, so cancel is 409 and retry is 409.
    const doomed = await createEndpoint(fx.tenant_id, { url: receiverUrl(uniquePath()), event_types: ["doomed.*"] });
    const ev = await api("POST", `/v1/tenants/${fx.tenant_id}/events`, { body: { type: "doomed.x", data: {} } });
    let dlv: string | undefined;
    for (let i = 0; i < 200 && !dlv; i++) {
      dlv = (await api("GET", `/v1/tenants/${fx.tenant_id}/events/${ev.body.id}/deliveries`)).body.data?.[0]?.id;
      if (!dlv) await new Promise((r) => setTimeout(r, 25));
    }
    await api("DELETE", `/v1/tenants/${fx.tenant_id}/endpoints/${doomed.id}`);
    await call(
      byId("cancelDelivery"),
      fill(byId("cancelDelivery").path, { tenant_id: fx.tenant_id, delivery_id: dlv! }),
      {},
    );
    await call(
      byId("retryDelivery"),
      fill(byId("retryDelivery").path, { tenant_id: fx.tenant_id, delivery_id: dlv! }),
      {},
    );
    // A replay naming a disabled endpoint: 409.
    const paused = await createEndpoint(fx.tenant_id, { url: receiverUrl(uniquePath()), disabled: true });
    await post(
      "createReplay",
      { tenant_id: fx.tenant_id },
      { mode: "missing", endpoint_ids: [paused.id], since: new Date(Date.now() - 3600_000).toISOString() },
    );
    // A dead letter re-driven once (202) and then again (409).
    const redrive = fill(byId("redriveDeadLetter").path, { tenant_id: fx.tenant_id, dead_letter_id: deadLetterId });
    expect(await call(byId("redriveDeadLetter"), redrive, {})).toBe(202);
    expect(await call(byId("redriveDeadLetter"), redrive, {})).toBe(409);
    // GET /metrics takes its input in the query: a malformed tenant id (400), an unknown one (404).
    await call(byId("getMetrics"), "/metrics?tenant=bad%20id!", {});
    await call(byId("getMetrics"), "/metrics?tenant=nobody_metrics", {});

    for (const o of ops) {
      const documented = new Set(
        Object.keys(o.op.responses)
          .filter((s) => !s.startsWith("2"))
          .map(Number),
      );
      const answered = new Set([...(seen.get(o.op.operationId!) ?? [])].filter((s) => s >= 300));
      for (const s of documented)
        if (s !== 500 && s !== 503 && !answered.has(s) && !PROVOKED_ELSEWHERE[o.op.operationId!]?.includes(s))
          problems.push(`${o.op.operationId}: documents ${s} but never answered it`);
      for (const s of answered)
        if (!documented.has(s)) problems.push(`${o.op.operationId}: answered ${s}, undocumented`);
    }
    expect(problems).toEqual([]);
  });
});
