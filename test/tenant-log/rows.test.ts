/**
 * What one webhook writes (fan-out 1, first try succeeds): no D1 row at all, and a handful of
 * TenantLog rows counted from the cursors' own rowsWritten (src/lib/row-usage.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { rowsWritten } from "../../src/lib/row-usage";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

/** Every D1 row that names the tenant or its endpoint, as text: any write about it changes this. */
async function d1Rows(tenant: string, endpointId: string) {
  const parts: unknown[] = [];
  for (const [table, where, arg] of [
    ["tenants", "id = ?", tenant],
    ["endpoints", "tenant_id = ?", tenant],
    ["api_keys", "tenant_id = ?", tenant],
    ["portal_sessions", "tenant_id = ?", tenant],
    ["task_owners", "tenant_id = ?", tenant],
    ["endpoints", "id = ?", endpointId],
  ] as const) {
    parts.push((await env.DB.prepare(`SELECT * FROM ${table} WHERE ${where}`).bind(arg).all()).results);
  }
  return JSON.stringify(parts);
}

describe("rows written per webhook", () => {
  it("writes nothing to D1 and counts its TenantLog rows", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const endpoint = await createEndpoint(tenant, { url: receiverUrl(path) });
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    await waitForReceived(path, 1);
    await eventually(
      () => api("GET", `/v1/tenants/${tenant}/deliveries`),
      (r) => r.body.data[0]?.status === "succeeded",
    );
    const d1Before = await d1Rows(tenant, endpoint.id);
    const before = rowsWritten().tenant_log;

    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "job.done", data: { n: 1 } } });
    await waitForReceived(path, 2);
    await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
      (r) => r.body.data[0]?.status === "succeeded",
    );
    const logRows = rowsWritten().tenant_log - before;
    expect(await d1Rows(tenant, endpoint.id)).toBe(d1Before);
    // Other test files write logs in this isolate too, so this is a floor check, not an exact figure.
    expect(logRows).toBeGreaterThan(0);
    console.log(`tenant_log rows written for one webhook (fan-out 1, first try): ${logRows}`);
  });
});
