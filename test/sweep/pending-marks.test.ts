/**
 * Deliveries never attempted, found without an index (src/tenant-log/pending-marks.ts): each
 * endpoint's walk goes from its mark to its first pending delivery, a held endpoint pins only its
 * own mark, a walk reads a bounded number of rows per call, and the log's look, the sweeper's
 * orphans and the metrics' gauge all answer from the marks.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { firstIdAt } from "../../src/db/ids";
import { PENDING_WALK_ROWS, PendingMarks } from "../../src/tenant-log/pending-marks";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createTenant, uniqueTenantId } from "../helpers/api";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const HOUR_AGO = Date.now() - 3600_000;
/** An events' mark that holds nothing back (every event fanned out). */
const LATER = firstIdAt("evt", Date.now() + 3600_000);
/** Distinct ids an hour old, one per millisecond, in id order (an event and its delivery share the moment). */
const idAt = (i: number, prefix: "dlv" | "evt" = "dlv") => `${firstIdAt(prefix, HOUR_AGO + i).slice(0, -4)}0001`;

/** `n` deliveries of `endpoint` an hour old, those at `pendingAt` still pending (with their events), the rest succeeded. */
function insertDeliveries(
  sql: SqlStorage,
  tenant: string,
  endpoint: string,
  n: number,
  pendingAt: number[],
  offset = 0,
) {
  for (const i of pendingAt)
    sql.exec(
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
      idAt(offset + i, "evt"),
      tenant,
      HOUR_AGO + offset + i,
    );
  for (let i = 0; i < n; i++)
    sql.exec(
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'a.b', '', ?, 0, ?, ?)`,
      idAt(offset + i),
      tenant,
      idAt(offset + i, "evt"),
      endpoint,
      pendingAt.includes(i) ? "pending" : "succeeded",
      HOUR_AGO + offset + i,
      HOUR_AGO + offset + i,
    );
}

const marks = (tenant: string) =>
  logRows<{ k: string; v: string }>(tenant, "SELECT k, v FROM meta WHERE k LIKE 'pending_from:%' ORDER BY k");

describe("deliveries never attempted, found from each endpoint's mark", () => {
  it("the look finds one lost behind 3,000 delivered, stops that endpoint's mark there; a held endpoint pins only its own", async () => {
    const tenant = await createTenant();
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    const stub = tenantLogStub(tenant);
    await runInDurableObject(stub, (_i: TenantLog, state) => {
      insertDeliveries(state.storage.sql, tenant, "ep_busy", 3000, [1500]);
      insertDeliveries(state.storage.sql, tenant, "ep_held", 10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5000);
      insertDeliveries(state.storage.sql, tenant, "ep_done", 10, [], 6000);
    });
    // The first look sets the events' mark, which the deliveries' marks never pass; the next moves them.
    const look = async () => {
      await runInDurableObject(stub, (_i: TenantLog, state) => state.storage.setAlarm(Date.now()));
      return runDurableObjectAlarm(stub);
    };
    await look();
    expect(await look()).toBe(true); // asks for a sweep: something is older than the grace
    expect(await marks(tenant)).toEqual([
      { k: "pending_from:ep_busy", v: idAt(1500) },
      { k: "pending_from:ep_done", v: idAt(6009) },
      { k: "pending_from:ep_held", v: idAt(5000) },
    ]);
    // The sweeper asks for the active endpoints only: the lost one is handed over, the held ones are not.
    const plan = await stub.orphans(Date.now(), 100, ["ep_busy", "ep_done"]);
    expect(plan.deliveries.map((d) => d.id)).toEqual([idAt(1500)]);
    // Once it left `pending`, the next look moves that mark past it, up to the newest it walked.
    await runInDurableObject(stub, (_i: TenantLog, state) =>
      state.storage.sql.exec("UPDATE deliveries SET status = 'succeeded' WHERE id = ?", idAt(1500)),
    );
    await look();
    expect((await marks(tenant))[0]).toEqual({ k: "pending_from:ep_busy", v: idAt(2999) });
    // The gauge counts from the marks: the held endpoint's ten.
    const metrics = await stub.metrics();
    expect(metrics.backlog.filter((b) => b.status === "pending")).toEqual([
      { endpointId: "ep_held", status: "pending", count: 10 },
    ]);
  });

  it(`reads at most ${PENDING_WALK_ROWS} rows a call, goes on where it stopped, and never passes now minus the grace`, async () => {
    const tenant = uniqueTenantId("pend");
    const stub = tenantLogStub(tenant);
    const looks = await runInDurableObject(stub, (_i: TenantLog, state) => {
      const sql = state.storage.sql;
      insertDeliveries(sql, tenant, "ep_1", PENDING_WALK_ROWS + 10, [PENDING_WALK_ROWS + 5]);
      const pending = new PendingMarks(sql, (q, ...p) => sql.exec(q, ...(p as SqlStorageValue[])).rowsWritten);
      const first = pending.settle(Date.now(), LATER);
      const mark1 = pending.from("ep_1");
      const second = pending.settle(Date.now(), LATER);
      const mark2 = pending.from("ep_1");
      // Everything is an hour old, but the mark stops at ids minted before `before`, whatever it walked.
      const early = new PendingMarks(sql, (q, ...p) => sql.exec(q, ...(p as SqlStorageValue[])).rowsWritten);
      sql.exec("DELETE FROM meta WHERE k LIKE 'pending_from:%'");
      early.settle(HOUR_AGO + 100, LATER);
      const byTime = early.from("ep_1");
      // Nor past the moment of the events' mark: an event not fanned out yet brings deliveries of its moment.
      sql.exec("DELETE FROM meta WHERE k LIKE 'pending_from:%'");
      early.settle(Date.now(), firstIdAt("evt", HOUR_AGO + 50));
      return { first, mark1, second, mark2, byTime, byEvents: early.from("ep_1") };
    });
    expect(looks.first).toEqual({ oldest: null, unfinished: true });
    expect(looks.mark1).toBe(idAt(PENDING_WALK_ROWS - 1));
    expect(looks.second).toEqual({ oldest: HOUR_AGO + PENDING_WALK_ROWS + 5, unfinished: false });
    expect(looks.mark2).toBe(idAt(PENDING_WALK_ROWS + 5));
    expect(looks.byTime).toBe(firstIdAt("dlv", HOUR_AGO + 100));
    expect(looks.byEvents).toBe(firstIdAt("dlv", HOUR_AGO + 50));
  });
});
