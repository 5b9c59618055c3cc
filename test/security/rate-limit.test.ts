/** Per-key ingest rate limit: 429 `rate_limited` with Retry-After, per key, never a 500. */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, createTenant, ROOT_KEY } from "../helpers/api";

// The app with the real Rate Limiting binding configured at 3 requests / 10 s (vitest.config.ts).
const strictEnv = () => ({ ...env, INGEST_LIMITER: (env as unknown as { STRICT_INGEST_LIMITER: RateLimit }).STRICT_INGEST_LIMITER });

async function ingest(app: ReturnType<typeof createApp>, tenant: string, key: string, path = "events", body: unknown = { type: "a.b", data: {} }) {
  const res = await app.fetch(
    new Request(`http://edgehooks.test/v1/tenants/${tenant}/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    strictEnv(),
    createExecutionContext(),
  );
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe("ingest rate limit", () => {
  it("answers 429 with Retry-After once a key exceeds its limit; other keys are unaffected", async () => {
    expect(env.INGEST_LIMITER).toBeDefined();
    const tenant = await createTenant();
    const key = (await api("POST", "/v1/api-keys", { body: { name: "busy", scopes: ["ingest"], tenant_id: tenant } })).body.key;
    const other = (await api("POST", "/v1/api-keys", { body: { name: "calm", scopes: ["ingest"], tenant_id: tenant } })).body.key;
    const app = createApp();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof ingest>> | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await ingest(app, tenant, key);
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    expect(limited!.headers.get("retry-after")).toBe("10");
    expect(limited!.body.error).toMatchObject({ code: "rate_limited", request_id: limited!.headers.get("x-request-id") });
    // Batches count against the same key.
    expect((await ingest(app, tenant, key, "events/batch", { events: [{ type: "a.b", data: {} }] })).status).toBe(429);
    // Another key has its own budget; reads are not limited.
    expect((await ingest(app, tenant, other)).status).toBe(202);
    const read = await app.fetch(
      new Request(`http://edgehooks.test/v1/tenants/${tenant}/events`, { headers: { authorization: `Bearer ${ROOT_KEY}` } }),
      strictEnv(),
      createExecutionContext(),
    );
    expect(read.status).toBe(200);
  });
});
