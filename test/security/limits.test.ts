/**
 * Limits and quotas (docs/contract.md "Security"): every request body is bounded before it is parsed (1 MiB
 * for ingest and tests, 256 KiB elsewhere: 413), JSON nested deeper than 64 levels is 400,
 * MAX_ENDPOINTS_PER_TENANT answers 409, and test / retry / resend / recover are rate-limited per
 * tenant (429 with Retry-After), as are failed authentications per client.
 */

import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, ROOT_KEY } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

const KiB = 1024;
const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const nestedText = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/**
 * Calls until the first 429. The limiter counts in fixed windows, so a window may roll over
 * during the run: the first `limit` calls can never be limited, and within 2 × limit + 1 calls
 * one must be.
 */
async function firstLimited(
  limit: number,
  call: () => Promise<{ status: number; body: any; headers: Headers }>,
  expected: number,
) {
  for (let i = 1; i <= 2 * limit + 1; i++) {
    const res = await call();
    if (res.status === 429) {
      expect(i).toBeGreaterThan(limit);
      return res;
    }
    expect(res.status).toBe(expected);
  }
  throw new Error(`no 429 within ${2 * limit + 1} calls`);
}

function expectEnvelope(res: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
}

describe("request bodies are bounded before parsing", () => {
  it("256 KiB on endpoint routes: 413 beyond, in the envelope", async () => {
    const tenant = await createTenant();
    const big = { url: receiverUrl("/x"), description: "x".repeat(300 * KiB) };
    expectEnvelope(await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: big }), 413, "payload_too_large");
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    expectEnvelope(
      await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
        body: { metadata: { k: "v".repeat(300 * KiB) } },
      }),
      413,
      "payload_too_large",
    );
    expectEnvelope(
      await api("POST", "/v1/tenants", { raw: `{"name":"${"n".repeat(300 * KiB)}"}` }),
      413,
      "payload_too_large",
    );
  });

  it("1 MiB on test and test-filter: a 900 KiB body passes, 1.1 MiB is 413", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x"), filter: { "data.k": "v" } });
    const filterPath = `/v1/tenants/${tenant}/endpoints/${ep.id}/test-filter`;
    const ok = await api("POST", filterPath, { body: { data: { k: "v", pad: "p".repeat(900 * KiB) } } });
    expect(ok.status).toBe(200);
    expect(ok.body.matches).toBe(true);
    expectEnvelope(
      await api("POST", filterPath, { body: { data: { pad: "p".repeat(1100 * KiB) } } }),
      413,
      "payload_too_large",
    );
    expectEnvelope(
      await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, {
        body: { data: { pad: "p".repeat(1100 * KiB) } },
      }),
      413,
      "payload_too_large",
    );
  });

  it("a streamed body without content-length is cut off too", async () => {
    const tenant = await createTenant();
    const chunk = new TextEncoder().encode("x".repeat(64 * KiB));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 10) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}/endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" },
      body: stream,
    });
    expect(res.status).toBe(413);
  });
});

describe("JSON nesting", () => {
  it("an event whose data nests deeper than 64 levels is 400; 5,000 levels too, without a crash", async () => {
    const tenant = await createTenant();
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: nested(60) } })).status,
    ).toBe(202);
    for (const depth of [70, 5000]) {
      const res = await api("POST", `/v1/tenants/${tenant}/events`, {
        raw: `{"type":"a.b","data":${nestedText(depth)}}`,
      });
      expectEnvelope(res, 400, "bad_request");
      expect(res.body.error.message).toMatch(/64 levels/);
    }
    const batch = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      raw: `{"events":[{"type":"a.b","data":${nestedText(100)}}]}`,
    });
    expectEnvelope(batch, 400, "bad_request");
  });

  it("every JSON route refuses deep bodies (an endpoint's metadata, test-filter data)", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    expectEnvelope(
      await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test-filter`, { raw: `{"data":${nestedText(200)}}` }),
      400,
      "bad_request",
    );
    expectEnvelope(
      await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, { raw: `{"metadata":${nestedText(100)}}` }),
      400,
      "bad_request",
    );
  });

  it("only /v1 bodies are parsed (after authentication): a deep body anywhere else is never read", async () => {
    // Parsed, the 100 levels would answer 400; unparsed, the path answers as it would anyway.
    for (const [method, path, status] of [
      ["POST", "/nowhere", 404],
      ["POST", "/portal/logout", 401],
    ] as const) {
      const res = await api(method, path, { key: null, raw: nestedText(100) });
      expect(res.status, `${method} ${path}`).toBe(status);
    }
    // Under /v1 without a key: 401 before any parse; with one, the depth check answers.
    expect((await api("POST", "/v1/tenants", { key: null, raw: nestedText(100) })).status).toBe(401);
    expectEnvelope(await api("POST", "/v1/tenants", { raw: nestedText(100) }), 400, "bad_request");
  });
});

describe("endpoints per tenant", () => {
  it("MAX_ENDPOINTS_PER_TENANT (default 1000) answers 409; deleting one makes room", async () => {
    const tenant = await createTenant();
    const first = await createEndpoint(tenant, { url: receiverUrl("/x"), disabled: true });
    // 999 more copies of the first row, written directly: creating them one by one is slow. Each
    // with its own URL: at most MAX_ENDPOINTS_PER_URL may share one (test/security/amplification.test.ts).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
       INSERT INTO endpoints (id, tenant_id, url, description, event_types, channels, filter,
         secrets_enc, headers_enc, auth_enc, header_names, auth_type, signature, envelope, retry_policy, rate_limit_per_s, max_in_flight,
         timeout_ms, metadata, status, disabled_reason, disabled_at, version, created_at, updated_at, tenant_environment)
       SELECT 'ep_' || substr(id, 4, 16) || printf('%010d', i), tenant_id, url || '?copy=' || i, description, event_types, channels, filter,
         secrets_enc, headers_enc, auth_enc, header_names, auth_type, signature, envelope, retry_policy, rate_limit_per_s, max_in_flight,
         timeout_ms, metadata, status, disabled_reason, disabled_at, version, created_at, updated_at, tenant_environment FROM endpoints, n WHERE id = ?`,
    )
      .bind(first.id)
      .run();
    const full = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: receiverUrl("/x") } });
    expectEnvelope(full, 409, "conflict");
    expect(full.body.error.message).toMatch(/1000 endpoints/);
    // Another tenant is not affected.
    const other = await createTenant();
    expect((await api("POST", `/v1/tenants/${other}/endpoints`, { body: { url: receiverUrl("/x") } })).status).toBe(
      201,
    );
    expect((await api("DELETE", `/v1/tenants/${tenant}/endpoints/${first.id}`)).status).toBe(204);
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: receiverUrl("/x") } })).status).toBe(
      201,
    );
  });
});

describe("per-tenant action rate limits (TENANT_ACTION_LIMITER: 60 per 60 s per tenant and action)", () => {
  const bogus = {
    ep: "ep_01jd0000000000000000000000",
    dlv: "dlv_01jd0000000000000000000000",
    evt: "evt_01jd0000000000000000000000",
  };
  it.each([
    ["test", (t: string) => `/v1/tenants/${t}/endpoints/${bogus.ep}/test`, {}],
    ["test-filter", (t: string) => `/v1/tenants/${t}/endpoints/${bogus.ep}/test-filter`, { data: { n: 1 } }],
    ["retry", (t: string) => `/v1/tenants/${t}/deliveries/${bogus.dlv}/retry`, undefined],
    ["resend", (t: string) => `/v1/tenants/${t}/events/${bogus.evt}/resend`, undefined],
    ["recover", (t: string) => `/v1/tenants/${t}/endpoints/${bogus.ep}/recover`, { since: "2026-01-01T00:00:00Z" }],
  ])(
    "%s: past 60 calls in a minute, 429 with Retry-After; another tenant is unaffected",
    async (_action, path, body) => {
      const tenant = await createTenant();
      const limited = await firstLimited(60, () => api("POST", path(tenant), { body }), 404);
      expectEnvelope(limited, 429, "rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      const other = await createTenant();
      expect((await api("POST", path(other), { body })).status).toBe(404);
    },
  );
});

describe("failed authentication is throttled per client (AUTH_FAILURE_LIMITER: 20 per 60 s)", () => {
  // The refusal is of failures only: a good key from that address passes (test/security/auth-throttle.test.ts).
  it("after 20 bad keys a client gets 429 for its failures; its good key and other clients are unaffected", async () => {
    const call = (key: string, ip: string) =>
      api("GET", "/v1/tenants?limit=1", { key, headers: { "cf-connecting-ip": ip } });
    const ip = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    let n = 0;
    const throttled = await firstLimited(20, () => call(`ek_wrong_${n++}`, ip), 401);
    expectEnvelope(throttled, 429, "rate_limited");
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await call(`ek_wrong_${n++}`, ip)).status).toBe(429);
    expect((await call(ROOT_KEY, ip)).status).toBe(200);
    expect((await call(ROOT_KEY, "198.51.100.200")).status).toBe(200);
  });
});
