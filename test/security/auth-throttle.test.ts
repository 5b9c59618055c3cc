/**
 * Failed authentication is throttled per failing credential (the client's address plus the
 * token's first characters), not per address: behind a shared egress (a NAT, a serverless
 * platform, Workers subrequests) one client's bad key must not lock out everyone else's good one.
 * GET /metrics counts its failures on the same limiter (AUTH_FAILURE_LIMITER, 20 per 60 s).
 */
import { describe, expect, it } from "vitest";
import { api, createTenant, ROOT_KEY } from "../helpers/api";

const LIMIT = 20;
// One address per test (100.64.0.0/10, shared address space), apart from the other throttle tests'.
const block = Math.floor(Math.random() * 250);
const address = (test: number) => `100.64.${block}.${test}`;

/** Calls until the first 429: never within the first LIMIT calls, always within 2 × LIMIT + 1 (fixed windows). */
async function untilLimited(call: () => Promise<{ status: number; body: any; headers: Headers }>, expected: number) {
  for (let i = 1; i <= 2 * LIMIT + 1; i++) {
    const res = await call();
    if (res.status === 429) {
      expect(i).toBeGreaterThan(LIMIT);
      return res;
    }
    expect(res.status).toBe(expected);
  }
  throw new Error(`no 429 within ${2 * LIMIT + 1} calls`);
}

describe("failed authentication is throttled per credential", () => {
  it("a key that keeps failing is refused with 429; a good key from the same address still works", async () => {
    const ip = address(1);
    const bad = `ek_revoked_${crypto.randomUUID().replaceAll("-", "")}`;
    const limited = await untilLimited(
      () => api("GET", "/v1/tenants?limit=1", { key: bad, headers: { "cf-connecting-ip": ip } }),
      401,
    );
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toBe("60");
    // The same failing key stays refused; the root key and an API key from the same address pass.
    expect((await api("GET", "/v1/tenants?limit=1", { key: bad, headers: { "cf-connecting-ip": ip } })).status).toBe(
      429,
    );
    expect(
      (await api("GET", "/v1/tenants?limit=1", { key: ROOT_KEY, headers: { "cf-connecting-ip": ip } })).status,
    ).toBe(200);
    const tenant = await createTenant();
    const key = (await api("POST", "/v1/api-keys", { body: { name: "nat", scopes: ["read"], tenant_id: tenant } })).body
      .key;
    expect((await api("GET", `/v1/tenants/${tenant}`, { key, headers: { "cf-connecting-ip": ip } })).status).toBe(200);
  });

  it("a client that varies its guesses gets 429 for its failures, but a correct key still goes through", async () => {
    const ip = address(2);
    let n = 0;
    const guess = () => `ek_${(n++).toString(36).padStart(4, "0")}${crypto.randomUUID().replaceAll("-", "")}`;
    const limited = await untilLimited(
      () => api("GET", "/v1/tenants?limit=1", { key: guess(), headers: { "cf-connecting-ip": ip } }),
      401,
    );
    expect(limited.body.error.code).toBe("rate_limited");
    expect(
      (await api("GET", "/v1/tenants?limit=1", { key: guess(), headers: { "cf-connecting-ip": ip } })).status,
    ).toBe(429);
    expect(
      (await api("GET", "/v1/tenants?limit=1", { key: ROOT_KEY, headers: { "cf-connecting-ip": ip } })).status,
    ).toBe(200);
  });

  it("GET /metrics counts its failures too", async () => {
    const ip = address(3);
    const bad = `ek_scraper_${crypto.randomUUID().replaceAll("-", "")}`;
    const limited = await untilLimited(
      () => api("GET", "/metrics", { key: bad, headers: { "cf-connecting-ip": ip } }),
      401,
    );
    expect(limited.body.error.code).toBe("rate_limited");
    // The same address with the root key scrapes.
    expect(
      (await api("GET", "/metrics?tenant=nobody_here", { key: ROOT_KEY, headers: { "cf-connecting-ip": ip } })).status,
    ).toBe(404);
  });
});
