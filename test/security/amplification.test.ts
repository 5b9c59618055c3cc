/**
 * Amplification: one ingest must not become an unbounded flood toward one place. A tenant may
 * have 1,000 endpoints; before these bounds they could all share one URL, and one 1 MiB ingest
 * became 1 GiB toward one host.
 * - MAX_ENDPOINTS_PER_URL endpoints of one tenant may share one exact URL (sharing a host is
 *   normal: hooks.slack.com, hooks.zapier.com); one more is 409 `conflict`, at create and update.
 * - MAX_FANOUT_BYTES_PER_INGEST: the bytes of an ingest's events times the endpoints they would go
 *   to (active, subscribed to the type and channels; filters are not run at ingest) may not pass it;
 *   past it the request is 413 `payload_too_large` and nothing is stored.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ENDPOINTS_PER_URL } from "../../src/services/endpoint-url-share";
import { MAX_FANOUT_BYTES_PER_INGEST } from "../../src/services/events/fanout-quota";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

function expectEnvelope(res: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
}

describe("endpoints sharing one exact URL", () => {
  it(`${MAX_ENDPOINTS_PER_URL} may share a URL; one more is 409, while the same host, other tenants and disabled ones are counted as they should`, async () => {
    const tenant = await createTenant();
    const url = receiverUrl(uniquePath("/shared"));
    for (let i = 0; i < MAX_ENDPOINTS_PER_URL; i++) {
      // Disabled endpoints count: enabling one must not pass the bound.
      await createEndpoint(tenant, { url, description: `copy ${i}`, ...(i === 0 ? { disabled: true } : {}) });
    }
    const past = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url } });
    expectEnvelope(past, 409, "conflict");
    expect(past.body.error.message).toMatch(new RegExp(`${MAX_ENDPOINTS_PER_URL} endpoints`));
    expect(past.body.error.issues[0].path).toBe("url");
    // The same host with another path is another URL; another tenant has its own count.
    const sibling = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/shared")) });
    expect((await api("POST", `/v1/tenants/${await createTenant()}/endpoints`, { body: { url } })).status).toBe(201);
    // Moving another endpoint onto the full URL is refused too; re-saving one of the ten is not.
    const moved = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${sibling.id}`, { body: { url } });
    expectEnvelope(moved, 409, "conflict");
    const list = (await api("GET", `/v1/tenants/${tenant}/endpoints?limit=100`)).body.data as {
      id: string;
      url: string;
    }[];
    const oneOfTen = list.find((e) => e.url === url)!;
    expect(
      (await api("PATCH", `/v1/tenants/${tenant}/endpoints/${oneOfTen.id}`, { body: { url, description: "same" } }))
        .status,
    ).toBe(200);
  });
});

/**
 * `n` endpoints subscribed to `big.*` that never match (their filter looks for a field no event
 * has, and filters are not run at ingest): one created, copied with distinct URLs.
 */
async function endpointsCounted(tenant: string, n: number) {
  const first = await createEndpoint(tenant, {
    url: receiverUrl("/never"),
    event_types: ["big.*"],
    filter: { "data.never": true },
  });
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO endpoints (id, tenant_id, url, description, event_types, channels, filter,
       secrets_enc, headers_enc, auth_enc, header_names, auth_type, signature, envelope, retry_policy, rate_limit_per_s, max_in_flight,
       timeout_ms, metadata, status, disabled_reason, disabled_at, version, created_at, updated_at, tenant_environment)
     SELECT 'ep_' || substr(id, 4) || printf('%05d', i), tenant_id, url || '?copy=' || i, description, event_types, channels, filter,
       secrets_enc, headers_enc, auth_enc, header_names, auth_type, signature, envelope, retry_policy, rate_limit_per_s, max_in_flight,
       timeout_ms, metadata, status, disabled_reason, disabled_at, version, created_at, updated_at, tenant_environment FROM endpoints, n WHERE id = ?`,
  )
    .bind(n - 1, first.id)
    .run();
}

/** `data` whose JSON is exactly `bytes` bytes (a string: two quotes and the rest). */
const dataOf = (bytes: number) => "x".repeat(bytes - 2);

describe("the bytes one ingest may fan out", () => {
  const N = 300;
  const atLimit = Math.floor(MAX_FANOUT_BYTES_PER_INGEST / N);

  it(`an event whose size × ${N} endpoints is at the bound is accepted; one byte more is 413 and nothing is stored`, async () => {
    const tenant = await createTenant();
    await endpointsCounted(tenant, N);
    // Endpoints that cannot receive the event do not count: another type, or disabled.
    await createEndpoint(tenant, { url: receiverUrl("/other-type"), event_types: ["other.type"] });
    await createEndpoint(tenant, { url: receiverUrl("/disabled"), disabled: true });
    const ok = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "big.one", data: dataOf(atLimit) } });
    expect(ok.status).toBe(202);
    const past = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "big.one", data: dataOf(atLimit + 1) },
    });
    expectEnvelope(past, 413, "payload_too_large");
    expect(past.body.error.message).toMatch(/fan out/);
    const [rows] = await logRows<{ n: number }>(tenant, "SELECT COUNT(*) AS n FROM events");
    expect(rows!.n).toBe(1);
    // An event of another type reaches one endpoint only: far within the bound.
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "other.type", data: dataOf(atLimit + 1) } }))
        .status,
    ).toBe(202);
  });

  it("a batch counts all its events together", async () => {
    const tenant = await createTenant();
    await endpointsCounted(tenant, N);
    const half = Math.floor(atLimit / 2);
    const fits = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: "big.a", data: dataOf(half) },
          { type: "big.b", data: dataOf(half) },
        ],
      },
    });
    expect(fits.status).toBe(202);
    const past = await api("POST", `/v1/tenants/${tenant}/events/batch`, {
      body: {
        events: [
          { type: "big.a", data: dataOf(half) },
          { type: "big.b", data: dataOf(atLimit - half + 1) },
        ],
      },
    });
    expectEnvelope(past, 413, "payload_too_large");
  });
});
