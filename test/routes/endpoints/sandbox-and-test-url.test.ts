/**
 * Sandbox tenants (http:// allowed where the deployment allows only https; private addresses
 * still follow ALLOW_PRIVATE_URLS) at create, update, test-url and attempt time, and
 * POST .../test-url with its destination checks. The vitest config allows http and private
 * URLs globally (the receiver is http://127.0.0.1), so the stricter deployments are exercised
 * through the same verbs with a different Config, and the attempt through the real sender.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { resolveEndpoint } from "../../../src/attempts/endpoint-snapshot";
import { sendAttempt } from "../../../src/attempts/send-attempt";
import { dispatcherFor } from "../../../src/dispatcher/client";
import type { EndpointDispatcher } from "../../../src/dispatcher/endpoint-dispatcher";
import { serviceCtx } from "../../../src/services/context";
import { createEndpoint as createEndpointVerb, getEndpoint, updateEndpoint } from "../../../src/services/endpoints";
import { setTenantEnvironment } from "../../../src/services/tenant-environment";
import { testUrl } from "../../../src/services/test-url";
import { api, createEndpoint, createTenant, uniqueTenantId } from "../../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";

/** A deployment that allows only https but lets the test reach 127.0.0.1 (private allowed). */
const httpsOnly = () => {
  const ctx = serviceCtx(env);
  return { ...ctx, config: { ...ctx.config, allowHttp: false, allowPrivate: true } };
};
/** The production settings: https only, no private addresses. */
const strict = () => {
  const ctx = serviceCtx(env);
  return { ...ctx, config: { ...ctx.config, allowHttp: false, allowPrivate: false } };
};

async function tenantIn(environment: "production" | "sandbox") {
  const id = uniqueTenantId();
  const res = await api("POST", "/v1/tenants", { body: { id, name: id, environment } });
  expect(res.status).toBe(201);
  expect(res.body.environment).toBe(environment);
  return id;
}

const issuePaths = (body: any) => body.error.issues.map((i: { path: string }) => i.path);

describe("tenant environment", () => {
  it("defaults to production, is shown on every answer and can be patched", async () => {
    const id = await createTenant();
    expect((await api("GET", `/v1/tenants/${id}`)).body.environment).toBe("production");
    const patched = await api("PATCH", `/v1/tenants/${id}`, { body: { environment: "sandbox" } });
    expect(patched.status).toBe(200);
    expect(patched.body.environment).toBe("sandbox");
    const list = await api("GET", "/v1/tenants?limit=100");
    expect(list.body.data.find((t: { id: string }) => t.id === id).environment).toBe("sandbox");
  });

  it.each([{ environment: "staging" }, { environment: null }, { environment: "Sandbox" }, { env: "sandbox" }])(
    "refuses %j with 400",
    async (extra) => {
      const id = uniqueTenantId();
      const res = await api("POST", "/v1/tenants", { body: { id, name: id, ...extra } });
      expect(res.status).toBe(400);
      expect(issuePaths(res.body)).toContain(Object.keys(extra)[0]);
      const tenant = await createTenant();
      const patch = await api("PATCH", `/v1/tenants/${tenant}`, { body: extra });
      expect(patch.status).toBe(400);
    },
  );

  it("sandbox allows http:// at create and update where the deployment allows only https; production refuses it", async () => {
    const ctx = httpsOnly();
    const prod = await tenantIn("production");
    const sandbox = await tenantIn("sandbox");
    await expect(createEndpointVerb(ctx, prod, { url: receiverUrl("/x") })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: "url", message: expect.stringMatching(/http URLs are not allowed/) }],
    });
    const { row } = await createEndpointVerb(ctx, sandbox, { url: receiverUrl("/x") });
    expect(row.tenantEnvironment).toBe("sandbox");
    const { row: prodRow } = await createEndpointVerb(ctx, prod, { url: "https://example.com/hook" });
    await expect(updateEndpoint(ctx, prod, prodRow.id, { url: "http://example.com/hook" })).rejects.toMatchObject({
      status: 400,
    });
    expect((await updateEndpoint(ctx, sandbox, row.id, { url: "http://example.com/hook" })).row.url).toBe(
      "http://example.com/hook",
    );
  });

  it("sandbox does not lift the private-address rule", async () => {
    const ctx = strict();
    const sandbox = await tenantIn("sandbox");
    for (const url of [
      "http://127.0.0.1:9/x",
      "http://localhost/x",
      "http://169.254.169.254/latest",
      "http://10.0.0.1/x",
      "http://[::1]/x",
    ]) {
      await expect(createEndpointVerb(ctx, sandbox, { url })).rejects.toMatchObject({ status: 400 });
      await expect(testUrl(ctx, sandbox, { url })).rejects.toMatchObject({ status: 400 });
    }
    expect((await createEndpointVerb(ctx, sandbox, { url: "http://example.com/hook" })).row.url).toBe(
      "http://example.com/hook",
    );
    await expect(createEndpointVerb(ctx, sandbox, { url: "ftp://example.com/x" })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("attempt time: a sandbox endpoint's http delivery goes out; the same URL of a production tenant is blocked", async () => {
    const config = httpsOnly().config;
    const path = uniquePath("/sandbox");
    const sandbox = await tenantIn("sandbox");
    const prod = await tenantIn("production");
    const sEp = await createEndpoint(sandbox, { url: receiverUrl(path) });
    const pEp = await createEndpoint(prod, { url: receiverUrl(path) });
    const event = {
      id: "evt_01jd0000000000000000000001",
      type: "job.completed",
      createdAt: Date.now(),
      payload: '{"a":1}',
    };
    const send = async (tenant: string, id: string) =>
      sendAttempt({
        endpoint: await resolveEndpoint(env, await getEndpoint(serviceCtx(env), tenant, id), Date.now()),
        event,
        number: 1,
        trigger: "scheduled",
        config,
        now: Date.now,
      });
    const ok = await send(sandbox, sEp.id);
    expect(ok).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(await waitForReceived(path, 1)).toHaveLength(1);
    const blocked = await send(prod, pEp.id);
    expect(blocked).toMatchObject({
      ok: false,
      error: "blocked_destination",
      errorDetail: expect.stringMatching(/http URLs are not allowed/),
    });
    expect(await waitForReceived(path, 1)).toHaveLength(1);
  });

  it("switching environment updates every endpoint and its dispatcher; leaving the sandbox with http endpoints is 409", async () => {
    const sandbox = await tenantIn("sandbox");
    const ep = await createEndpoint(sandbox, { url: receiverUrl("/x") });
    await expect(setTenantEnvironment(httpsOnly(), sandbox, "production")).rejects.toMatchObject({
      status: 409,
      code: "conflict",
      issues: [{ path: "environment", message: expect.stringContaining(ep.id) }],
    });
    // Where the deployment allows http (these tests), production is fine and reaches the dispatcher.
    const res = await api("PATCH", `/v1/tenants/${sandbox}`, { body: { environment: "production" } });
    expect(res.status).toBe(200);
    const row = await getEndpoint(serviceCtx(env), sandbox, ep.id);
    expect(row.tenantEnvironment).toBe("production");
    expect(row.version).toBe(2);
    const snapshot = await runInDurableObject(
      dispatcherFor(env, ep.id),
      async (i: EndpointDispatcher) => (await i.inspect()).endpoint,
    );
    expect(snapshot?.tenantEnvironment).toBe("production");
    await expect(setTenantEnvironment(httpsOnly(), "no_such_tenant", "sandbox")).rejects.toMatchObject({ status: 404 });
  });
});

describe("POST .../test-url", () => {
  const vendorVerify = (secret: string, body: string, header: string) => {
    const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("hex"));
    const got = Buffer.from(header);
    return expected.length === got.length && timingSafeEqual(expected, got);
  };

  it("sends one signed webhook.test to the URL and answers the attempt with a fresh secret; nothing is stored", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/tu");
    const res = await api("POST", `/v1/tenants/${tenant}/test-url`, { body: { url: receiverUrl(path) } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status_code: 200,
      error: null,
      url: receiverUrl(path),
      secret: expect.stringMatching(/^whsec_/),
      event_id: expect.stringMatching(/^evt_/),
    });
    expect(res.body.request_headers["webhook-signature"]).toMatch(/^v1,/);
    const [got] = await waitForReceived(path, 1);
    const body = new StandardWebhook(res.body.secret).verify(got!.body, got!.headers) as any;
    expect(body.type).toBe("webhook.test");
    expect(body.data).toEqual({
      message: expect.any(String),
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    });
    expect(got!.headers["webhook-id"]).toBe(res.body.event_id);
    expect((await api("GET", `/v1/tenants/${tenant}/events`)).body.data).toHaveLength(0);
    expect((await api("GET", `/v1/tenants/${tenant}/deliveries`)).body.data).toHaveLength(0);
  });

  it("signs with a brought vendor secret, custom headers, auth and envelope, as an endpoint would", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/tu");
    const secret = "dx_live_test_url_secret_42";
    const res = await api("POST", `/v1/tenants/${tenant}/test-url`, {
      body: {
        url: receiverUrl(path),
        secret,
        signature: { scheme: "hmac-sha256-hex", header: "X-DocExtract-Signature", prefix: "" },
        envelope: "event-data",
        event_type: "document.processed",
        data: { document_id: "doc_1" },
        headers: { "X-Customer": "acme" },
        auth: { type: "header", name: "X-Webhook-Token", value: "tok_123" },
        timeout_ms: 5000,
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.secret).toBe(secret);
    expect(res.body.request_headers["x-webhook-token"]).toBe("********");
    const [got] = await waitForReceived(path, 1);
    expect(JSON.parse(got!.body)).toEqual({ event: "document.processed", data: { document_id: "doc_1" } });
    expect(vendorVerify(secret, got!.body, got!.headers["x-docextract-signature"]!)).toBe(true);
    expect(got!.headers["x-webhook-token"]).toBe("tok_123");
    expect(got!.headers["x-customer"]).toBe("acme");
  });

  it("answers a receiver's failure as data (status code, excerpt)", async () => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/test-url`, { body: { url: receiverUrl("/status/500/x") } });
    expect(res.status).toBe(200);
    expect(res.body.status_code).toBe(500);
  });

  it.each([
    [{ url: "ftp://example.com/x" }, "url"],
    [{ url: "not a url" }, "url"],
    [{ url: "http://user:pw@example.com/x" }, "url"],
    [{ url: "https://example.com/x", secret: "whsec_tooShort" }, "secret"],
    [
      { url: "https://example.com/x", signature: { scheme: "hmac-sha256-hex", header: "X-Sig" }, secret: "short" },
      "secret",
    ],
    [{ url: "https://example.com/x", event_type: "edgehooks.delivery.failing" }, "event_type"],
    [{ url: "https://example.com/x", event_type: "job.*" }, "event_type"],
    [{ url: "https://example.com/x", headers: { "webhook-id": "x" } }, "headers.webhook-id"],
    [{ url: "https://example.com/x", timeout_ms: 60000 }, "timeout_ms"],
    [{ url: "https://example.com/x", unknown: 1 }, ""],
    [{}, "url"],
  ])("refuses %j with 400", async (body, path) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/test-url`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    if (path) expect(issuePaths(res.body).join(" ")).toContain(path);
  });

  it("applies the deployment's destination rules and the tenant's environment", async () => {
    const prod = await tenantIn("production");
    const sandbox = await tenantIn("sandbox");
    const path = uniquePath("/tu");
    await expect(testUrl(httpsOnly(), prod, { url: receiverUrl(path) })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: "url" }],
    });
    const ok = await testUrl(httpsOnly(), sandbox, { url: receiverUrl(path) });
    expect(ok.result).toMatchObject({ ok: true, statusCode: 200 });
    await expect(testUrl(strict(), sandbox, { url: receiverUrl(path) })).rejects.toMatchObject({ status: 400 });
    await expect(testUrl(strict(), prod, { url: "https://169.254.169.254/latest/meta-data" })).rejects.toMatchObject({
      status: 400,
    });
    expect(await waitForReceived(path, 1)).toHaveLength(1);
  });

  it("needs admin on that tenant: read keys and read-only sessions 403, other tenants 404, unknown tenant 404", async () => {
    const tenant = await createTenant();
    const body = { url: receiverUrl("/x") };
    const readKey = (await api("POST", "/v1/api-keys", { body: { name: "r", scopes: ["read"], tenant_id: tenant } }))
      .body.key;
    expect((await api("POST", `/v1/tenants/${tenant}/test-url`, { body, key: readKey })).status).toBe(403);
    const ro = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { read_only: true } })).body.token;
    expect((await api("POST", `/v1/tenants/${tenant}/test-url`, { body, key: ro })).status).toBe(403);
    const other = await createTenant();
    const otherKey = (await api("POST", "/v1/api-keys", { body: { name: "o", scopes: ["admin"], tenant_id: other } }))
      .body.key;
    expect((await api("POST", `/v1/tenants/${tenant}/test-url`, { body, key: otherKey })).status).toBe(404);
    expect((await api("POST", `/v1/tenants/no_such_tenant_x/test-url`, { body })).status).toBe(404);
  });

  it("the endpoint test button's default data has message, timestamp and endpoint_id", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/t");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} })).body.status_code).toBe(
      200,
    );
    const [got] = await waitForReceived(path, 1);
    expect(JSON.parse(got!.body).data).toEqual({
      message: expect.any(String),
      timestamp: expect.stringMatching(/Z$/),
      endpoint_id: ep.id,
    });
  });

  it("producers cannot ingest Edgehooks' reserved alert types", async () => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "edgehooks.delivery.failing", data: {} },
    });
    expect(res.status).toBe(400);
    expect(issuePaths(res.body)).toContain("type");
    const batch = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: { events: [{ type: "edgehooks.endpoint.disabled", data: {} }] },
    });
    expect(batch.status).toBe(400);
    const catalog = await api("POST", "/v1/event-types", { body: { name: "edgehooks.endpoint.disabled" } });
    expect(catalog.status).toBe(400);
  });
});
