/**
 * The dispatcher's writes stay under Cloudflare's limits whatever it holds: no outbox row over the
 * 2 MB SQLite row limit (the store refuses one, as production would), no TenantLog call over the
 * RPC cap. An endpoint or tenant holding 100,000 deliveries can be deleted; 1,000 attempts with
 * 16 KiB answers settle and reach the log.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RECORD_CALL_MAX_BYTES } from "../../src/dispatcher/bounds";
import { dispatcherFor } from "../../src/dispatcher/client";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, uniquePath } from "../helpers/receiver";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const HELD = 100_000;

/**
 * Seeds `n` deliveries held by an endpoint's dispatcher (far in the future) and the same
 * deliveries `pending` in the tenant's log, straight into both SQLites: enqueueing 100,000 through
 * the API would take minutes, and what is under test is what the dispatcher does with them.
 */
async function seedHeld(tenant: string, endpointId: string, n: number) {
  const now = Date.now();
  await runInDurableObject(tenantLogStub(tenant), (_i, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
       INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
       SELECT 'dlv_held_' || i, ?, 'evt_held_' || i, ?, 'a.b', '', 'pending', 0, ?, ? FROM c`,
      n,
      tenant,
      endpointId,
      now,
      now,
    );
  });
  await runInDurableObject(dispatcherFor(env, endpointId), (_i: EndpointDispatcher, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
       INSERT INTO pending (seq, delivery_id, tenant_id, event_id, event_type, event_created_at, payload, attempts, due_at, trigger)
       SELECT i, 'dlv_held_' || i, ?, 'evt_held_' || i, 'a.b', ?, '{}', 0, ?, 'scheduled' FROM c`,
      n,
      tenant,
      now,
      now + 7 * 24 * 3600_000,
    );
  });
}

/** Runs the dispatcher's alarm until it has nothing left to do (each run is bounded). */
async function drain(endpointId: string) {
  const stub = dispatcherFor(env, endpointId);
  for (let runs = 0; runs < 1_000; runs++) if (!(await runDurableObjectAlarm(stub))) return runs;
  throw new Error("the dispatcher never stopped");
}

const storedRows = (endpointId: string) =>
  runInDurableObject(dispatcherFor(env, endpointId), (_i: EndpointDispatcher, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('pending', 'outbox')")
      .toArray()
      .map((t) => t.name);
    return tables.reduce(
      (n, t) => n + state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).one().n,
      0,
    );
  });

describe("deleting what holds 100,000 deliveries", () => {
  it("an endpoint: every held delivery is cancelled in the log and the dispatcher ends empty", {
    timeout: 120_000,
  }, async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    await seedHeld(tenant, endpoint.id, HELD);

    const res = await api("DELETE", `/v1/tenants/${tenant}/endpoints/${endpoint.id}`);
    expect(res.status).toBe(204);
    await drain(endpoint.id);

    expect(await storedRows(endpoint.id)).toBe(0);
    const byStatus = await logRows<{ status: string; n: number }>(
      tenant,
      "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status",
    );
    expect(byStatus).toEqual([{ status: "cancelled", n: HELD }]);
  });

  it("a tenant: the delete answers and its endpoint's dispatcher ends empty", { timeout: 120_000 }, async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    await seedHeld(tenant, endpoint.id, HELD);

    const res = await api("DELETE", `/v1/tenants/${tenant}`);
    expect(res.status).toBe(204);
    await drain(endpoint.id);

    expect(await storedRows(endpoint.id)).toBe(0);
    expect((await api("GET", `/v1/tenants/${tenant}`)).status).toBe(404);
  });
});

describe("1,000 attempts in flight with 16 KiB answers", () => {
  it("settle, and every outcome reaches the log with its excerpt", { timeout: 120_000 }, async () => {
    const excerpt = 16 * 1024;
    const l = await ladder({
      path: uniquePath(`/sized/500/${excerpt}`),
      endpoint: { max_in_flight: 1000, timeout_ms: 1000, retry_policy: { schedule_s: [60] } },
    });
    const ids: string[] = [];
    for (let b = 0; b < 10; b++) {
      const res = await api("POST", `/v1/tenants/${l.tenant}/events/batch`, {
        body: { events: Array.from({ length: 100 }, (_, i) => ({ type: "a.b", data: { b, i } })) },
      });
      expect(res.status).toBe(202);
      ids.push(...res.body.data.map((r: { id: string }) => r.id));
    }
    await fanOut(
      serviceCtx(env),
      ids.map((eventId) => ({ tenantId: l.tenant, eventId, origin: "" })),
    );
    expect(await runInDurableObject(l.stub, (i: EndpointDispatcher) => i.pendingCount())).toBe(1000);

    // Each call the flush makes to the TenantLog, measured on the way in (then recorded as usual).
    const calls: number[] = [];
    const record = TenantLog.prototype.record;
    TenantLog.prototype.record = function (this: TenantLog, changes, now) {
      calls.push(JSON.stringify(changes).length);
      return record.call(this, changes, now);
    };
    try {
      await l.runAlarm();
    } finally {
      TenantLog.prototype.record = record;
    }
    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...calls)).toBeLessThanOrEqual(RECORD_CALL_MAX_BYTES);

    const outbox = await runInDurableObject(
      l.stub,
      (_i: EndpointDispatcher, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    );
    expect(outbox).toBe(0);
    const attempts = await logRows<{ n: number; body: number }>(
      l.tenant,
      // First attempts are kept in their delivery's row (src/tenant-log/first-attempt.ts), the rest in attempts.
      `SELECT COUNT(*) AS n, MIN(body) AS body FROM (
         SELECT length(response_body) AS body FROM attempts WHERE endpoint_id = ?
         UNION ALL SELECT length(first_response_body) FROM deliveries WHERE endpoint_id = ? AND first_started_at IS NOT NULL)`,
      l.endpoint.id,
      l.endpoint.id,
    );
    expect(attempts).toEqual([{ n: 1000, body: excerpt }]);
    const retrying = await logRows<{ n: number }>(
      l.tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending_retry' AND endpoint_id = ?",
      l.endpoint.id,
    );
    expect(retrying[0]!.n).toBe(1000);
  });
});
