/**
 * GET /metrics: root key only, Prometheus text, and the rows-written counters it shows are the
 * runtime's own numbers, counted once, from every write path (drizzle, raw D1, the dispatcher's
 * SQLite).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceCtx } from "../../../src/services/context";
import { ingestEvents } from "../../../src/services/events/ingest";
import { segmentName } from "../../../src/tenant-log/segments";
import type { TenantLog } from "../../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant, eventually } from "../../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";

type Rows = Record<"d1" | "tenant_log" | "dispatcher", number>;

/** The counters as the bench reads them: over HTTP, parsed from the exposition text. */
async function rows(): Promise<Rows> {
  const res = await api("GET", "/metrics");
  expect(res.status).toBe(200);
  const out: Partial<Rows> = {};
  for (const m of (res.body as string).matchAll(/^edgehooks_rows_written_total\{store="(\w+)"\} (\d+)$/gm))
    out[m[1] as keyof Rows] = Number(m[2]);
  expect(Object.keys(out).sort()).toEqual(["d1", "dispatcher", "tenant_log"]);
  return out as Rows;
}

describe("GET /metrics", () => {
  it("refuses a missing or unknown key (401) and any key but the root key or an unbound admin key (403), in the error envelope", async () => {
    const tenant = await createTenant();
    const admin = (await api("POST", "/v1/api-keys", { body: { name: "ops", scopes: ["admin"] } })).body.key as string;
    const boundAdmin = (
      await api("POST", "/v1/api-keys", { body: { name: "t-admin", scopes: ["admin"], tenant_id: tenant } })
    ).body.key as string;
    const reader = (await api("POST", "/v1/api-keys", { body: { name: "r", scopes: ["read", "ingest"] } })).body
      .key as string;
    const bound = (await api("POST", "/v1/api-keys", { body: { name: "t", scopes: ["read"], tenant_id: tenant } })).body
      .key as string;
    const portal = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: {} })).body.token as string;
    const cases: [string | null, number, string][] = [
      [null, 401, "unauthorized"],
      ["ek_live_not_a_key", 401, "unauthorized"],
      ["", 401, "unauthorized"],
      [boundAdmin, 403, "forbidden"],
      [reader, 403, "forbidden"],
      [bound, 403, "forbidden"],
      [portal, 403, "forbidden"],
    ];
    for (const [key, status, code] of cases) {
      const res = await api("GET", "/metrics", { key });
      expect([key, res.status]).toEqual([key, status]);
      expect(res.body.error).toMatchObject({ code, request_id: expect.stringMatching(/^req_/) });
      expect(JSON.stringify(res.body)).not.toContain("edgehooks_rows_written_total");
    }
    // Credentials come before the query: no key is 401 even with a bad query.
    expect((await api("GET", "/metrics?tenant=a%20b", { key: null })).status).toBe(401);
    // The root key and an admin key bound to no tenant read every tenant's numbers.
    for (const key of [undefined, admin]) expect((await api("GET", "/metrics", { key })).status).toBe(200);
    // "Bearer" with no token, and another scheme, are as unauthenticated as no header.
    for (const authorization of ["Bearer", "Basic dXNlcjpwYXNz"]) {
      const res = await api("GET", "/metrics", { key: null, headers: { authorization } });
      expect(res.status).toBe(401);
    }
  });

  it("answers Prometheus text 0.0.4 to the root key, with one rows-written line per store", async () => {
    const res = await api("GET", "/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = res.body as string;
    expect(text).toContain("# TYPE edgehooks_rows_written_total counter\n");
    expect(text.endsWith("\n")).toBe(true);
    // Every line is a comment or `name{labels} value`, as Prometheus parses it.
    for (const line of text.trimEnd().split("\n"))
      expect(line).toMatch(
        /^(# .+|edgehooks_[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? (\d+(\.\d+)?(e[-+]?\d+)?|\+Inf))$/,
      );
    expect(text.match(/^edgehooks_rows_written_total\{store="(d1|tenant_log|dispatcher)"\} \d+$/gm)).toHaveLength(3);
    // The parts of those totals the bench shows apart: alarms armed and the retention's rows.
    for (const part of ["alarm", "retention"])
      expect(
        text.match(
          new RegExp(`^edgehooks_${part}_rows_written_total\\{store="(d1|tenant_log|dispatcher)"\\} \\d+$`, "gm"),
        ),
      ).toHaveLength(3);
  });

  it("counts a raw D1 statement's and batch's rows_written exactly once", async () => {
    await rows(); // the first request of the file builds the drizzle client
    const before = await rows();
    const id = `metrics_${crypto.randomUUID()}`;
    const one = await env.DB.prepare(
      "INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, 'm', '{}', 0, 0)",
    )
      .bind(id)
      .run();
    const both = await env.DB.batch([
      env.DB.prepare("UPDATE tenants SET name = 'n' WHERE id = ?").bind(id),
      env.DB.prepare("DELETE FROM tenants WHERE id = ?").bind(id),
    ]);
    const expected = one.meta.rows_written + both[0]!.meta.rows_written + both[1]!.meta.rows_written;
    expect(one.meta.rows_written).toBeGreaterThan(0);
    const after = await rows();
    expect(after.d1 - before.d1).toBe(expected);
  });

  it("counts drizzle's RETURNING writes and still answers their rows", async () => {
    const before = await rows();
    const id = await createTenant(); // insert … returning, through drizzle's raw()
    const renamed = await api("PATCH", `/v1/tenants/${id}`, { body: { name: "Renamed" } });
    expect(renamed.body).toMatchObject({ id, name: "Renamed" });
    const after = await rows();
    expect(after.d1 - before.d1).toBeGreaterThanOrEqual(2);
  });

  it("rises in the TenantLog and the dispatcher's SQLite after an ingest and its delivery, never in D1", async () => {
    const tenant = await createTenant();
    const path = uniquePath();
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const before = await rows();
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "metrics.probe", data: { n: 1 } },
    });
    expect(posted.status).toBe(202);
    await waitForReceived(path);
    await eventually(
      () => api("GET", `/v1/tenants/${tenant}/deliveries`),
      (r) => r.body.data[0]?.status === "succeeded",
    );
    const after = await eventually(rows, (r) => r.dispatcher > before.dispatcher && r.tenant_log > before.tenant_log);
    // D1 holds configuration only: a webhook writes no row there.
    expect(after.d1 - before.d1).toBe(0);
    // The event, its idempotency-free claim, the delivery, the attempt and the status update at least.
    expect(after.tenant_log - before.tenant_log).toBeGreaterThanOrEqual(4);
    // The pending row in and out.
    expect(after.dispatcher - before.dispatcher).toBeGreaterThanOrEqual(2);
  });

  it("shows each tenant's log bytes: the SQLite size of every kept segment, summed", async () => {
    const tenant = await createTenant();
    const ctx = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "2" });
    for (let i = 0; i < 3; i++)
      await ingestEvents(
        ctx,
        tenant,
        [0, 1].map((j) => ({ input: { type: "metrics.bytes", data: { text: "x".repeat(1000), i, j } } })),
      );
    const sizes = await Promise.all(
      [0, 1, 2].map((n) =>
        runInDurableObject(env.TENANT_LOG.getByName(segmentName(tenant, n)), (_i: TenantLog, state) => {
          return state.storage.sql.databaseSize;
        }),
      ),
    );
    expect(sizes.every((b) => b > 0)).toBe(true);
    const res = await api("GET", `/metrics?tenant=${tenant}`);
    const line = new RegExp(`^edgehooks_tenant_log_bytes\\{tenant_id="${tenant}"\\} (\\d+)$`, "m").exec(res.body);
    expect(Number(line?.[1])).toBe(sizes.reduce((a, b) => a + b, 0));
  });
});
