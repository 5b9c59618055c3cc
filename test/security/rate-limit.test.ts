/** Per-key ingest rate limit: 429 `rate_limited` with Retry-After, per key, never a 500. */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, createTenant, ROOT_KEY } from "../helpers/api";

// The app with the real Rate Limiting binding configured at 3 requests / 10 s (vitest.config.ts).
const strictEnv = () => ({
  ...env,
  INGEST_LIMITER: (env as unknown as { STRICT_INGEST_LIMITER: RateLimit }).STRICT_INGEST_LIMITER,
});

async function ingest(
  app: ReturnType<typeof createApp>,
  tenant: string,
  key: string,
  path = "events",
  body: unknown = { type: "a.b", data: {} },
) {
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

/** The strict limiter's period (vitest.config.ts): its windows are aligned to the wall clock. */
const PERIOD_MS = 10_000;

/**
 * Runs `scenario` (fresh keys each time) until one run falls inside a single window of the
 * limiter, so the outcome never depends on where the clock stands: the limiter counts per
 * wall-clock-aligned window (floor(now / period)), and a boundary inside the run resets the count
 * half-way. A run takes well under a second, so a second run never meets another boundary.
 */
async function inOneWindow<T>(scenario: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    const start = Date.now();
    const result = await scenario();
    if (Math.floor(start / PERIOD_MS) === Math.floor(Date.now() / PERIOD_MS)) return result;
    if (run === 3) throw new Error("three runs each crossed a rate-limit window boundary");
  }
}

describe("ingest rate limit", () => {
  it("answers 429 with Retry-After once a key exceeds its limit; other keys are unaffected", async () => {
    expect(env.INGEST_LIMITER).toBeDefined();
    const tenant = await createTenant();
    const app = createApp();
    const newKey = async (name: string) =>
      (await api("POST", "/v1/api-keys", { body: { name, scopes: ["ingest"], tenant_id: tenant } })).body.key as string;
    const run = await inOneWindow(async () => {
      const [key, other] = [await newKey("busy"), await newKey("calm")];
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof ingest>> | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await ingest(app, tenant, key);
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      // Batches count against the same key; another key has its own budget.
      const batch = (await ingest(app, tenant, key, "events/batch", { events: [{ type: "a.b", data: {} }] })).status;
      const otherKey = (await ingest(app, tenant, other)).status;
      return { statuses, limited, batch, otherKey };
    });
    expect(run.statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(run.statuses.slice(3)).toEqual([429, 429, 429]);
    expect(run.limited!.headers.get("retry-after")).toBe("10");
    expect(run.limited!.body.error).toMatchObject({
      code: "rate_limited",
      request_id: run.limited!.headers.get("x-request-id"),
    });
    expect(run.batch).toBe(429);
    expect(run.otherKey).toBe(202);
    // Reads are not limited.
    const read = await app.fetch(
      new Request(`http://edgehooks.test/v1/tenants/${tenant}/events`, {
        headers: { authorization: `Bearer ${ROOT_KEY}` },
      }),
      strictEnv(),
      createExecutionContext(),
    );
    expect(read.status).toBe(200);
  });
});
