/**
 * The per-isolate config cache: a row read on the hot path is served from memory for at most the
 * TTL (CONFIG_CACHE_TTL_S, default 5 s): that is the bound within which a change made through
 * another isolate is seen. Changes through this isolate drop their entries at once; misses are
 * never cached. Driven by explicit clocks, no sleeping.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { cached, invalidate } from "../../src/services/config-cache";
import { api, createTenant } from "../helpers/api";

describe("config cache", () => {
  it("serves a row for less than the TTL, then reads it again", async () => {
    let loads = 0;
    const load = async () => ({ n: ++loads });
    const key = `test:${Math.random()}`;
    const t0 = 1_000_000;
    expect(await cached(key, 5000, load, t0)).toEqual({ n: 1 });
    expect(await cached(key, 5000, load, t0 + 4999)).toEqual({ n: 1 });
    expect(await cached(key, 5000, load, t0 + 5000)).toEqual({ n: 2 });
    invalidate(key);
    expect(await cached(key, 5000, load, t0 + 5001)).toEqual({ n: 3 });
    // TTL 0 turns the cache off.
    expect(await cached(key, 0, load, t0 + 5002)).toEqual({ n: 4 });
  });

  it("never caches a miss", async () => {
    let value: string | undefined;
    const key = `test:${Math.random()}`;
    expect(await cached(key, 5000, async () => value, 1)).toBeUndefined();
    value = "now there";
    expect(await cached(key, 5000, async () => value, 2)).toBe("now there");
  });

  it.each([
    [undefined, 5000],
    ["0", 0],
    ["2", 2000],
    ["600", 60_000],
    ["-1", 5000],
    ["soon", 5000],
  ])("CONFIG_CACHE_TTL_S=%s gives %i ms", (raw, ms) => {
    expect(readConfig({ ...env, CONFIG_CACHE_TTL_S: raw } as Env).configCacheTtlMs).toBe(ms);
  });

  it("a tenant deleted and created again through this isolate applies at once", async () => {
    const tenant = await createTenant();
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(202);
    expect((await api("DELETE", `/v1/tenants/${tenant}`)).status).toBe(204);
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(404);
    // The id is free again once CONFIG_CACHE_TTL_S has passed (test/security/key-and-port-edges.test.ts): moved, not waited for.
    await env.DB.prepare("UPDATE tenant_tombstones SET deleted_at = deleted_at - 60000 WHERE tenant_id = ?")
      .bind(tenant)
      .run();
    await createTenant(tenant);
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(202);
  });
});
