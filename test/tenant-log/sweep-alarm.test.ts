/**
 * The TenantLog's alarm asks for its own tenant's sweep (src/domain/sweep.ts): a write arms it
 * within the grace; a run that finds something half-done older than the grace queues one sweep
 * message naming the log and looks again; a log with nothing half-done queues nothing and only
 * retention brings its alarm back. The queue sends are kept by a counting env so nothing else
 * consumes them meanwhile.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fannedOut } from "../../src/tenant-log/fanned-out";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createTenant, eventually } from "../helpers/api";
import { countingEnv } from "../helpers/subrequests";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const GRACE = 120_000;
const HOUR = 3600_000;

/** Runs the log's alarm with its queue sends kept; answers them and when the alarm comes back. */
async function runAlarm(name: string) {
  const counted = countingEnv(env, { keepSends: ["SWEEP_QUEUE", "EVENTS_QUEUE"] });
  const stub = tenantLogStub(name);
  await runInDurableObject(stub, (log: TenantLog) => {
    (log as unknown as { env: Env }).env = counted.env;
  });
  const before = Date.now();
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  const ranFor = Date.now() - before;
  const next = await runInDurableObject(stub, (_log: TenantLog, state) => state.storage.getAlarm());
  // From the alarm's own clock, which read between `before` and `before + ranFor`.
  return {
    sent: counted.sent.SWEEP_QUEUE ?? [],
    subrequests: counted.count,
    inMs: next === null ? null : next - before - ranFor,
    ranFor,
  };
}

const alarmIn = async (name: string) => {
  const at = await runInDurableObject(tenantLogStub(name), (_log: TenantLog, state) => state.storage.getAlarm());
  return at === null ? null : at - Date.now();
};

describe("the TenantLog's sweep alarm", () => {
  it("an ingest arms it within the grace; once all is fanned out and handed over it asks for nothing and comes back for retention", async () => {
    const tenant = await createTenant();
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(202);
    expect(await alarmIn(tenant)).toBeLessThanOrEqual(GRACE);
    await eventually(
      () => logRows<{ n: number }>(tenant, `SELECT COUNT(*) AS n FROM events WHERE NOT ${fannedOut("events", false)}`),
      (r) => r[0]!.n === 0,
    );
    const ran = await runAlarm(tenant);
    expect(ran.sent).toEqual([]);
    expect(ran.subrequests).toBe(0);
    expect(ran.inMs).toBeGreaterThan(HOUR - 60_000);
  });

  it("something half-done past the grace: one sweep message naming the log, and it looks again within the grace", async () => {
    const tenant = await createTenant();
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } })).status).toBe(202);
    // An event whose fan-out never ran, written 10 minutes ago.
    await logRows(
      tenant,
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ('evt_01jd0000000000000000halfdn', ?, 'a.b', '{}', ?)",
      tenant,
      Date.now() - 600_000,
    );
    const ran = await runAlarm(tenant);
    expect(ran.sent).toEqual([{ v: 1, kind: "sweep", tenant_id: tenant }]);
    expect(ran.subrequests).toBe(1);
    expect(ran.inMs).toBeLessThanOrEqual(GRACE);
    // Nothing new written: the next look backs off (a held delivery must not cost a sweep every two minutes).
    const again = await runAlarm(tenant);
    expect(again.sent).toHaveLength(1);
    expect(again.inMs! + again.ranFor).toBeGreaterThan(GRACE);
    expect(again.inMs).toBeLessThanOrEqual(2 * GRACE);
  });

  it("a log that only keeps dead letters (no tenant row) is armed by them and asks for its sweep", async () => {
    const name = `t_dead_letters_only_${Date.now()}`;
    await tenantLogStub(name).addDeadLetters([
      {
        id: "dlq_01jd000000000000000000sweep",
        queue: "edgehooks-events-dlq",
        kind: "fanout",
        body: JSON.stringify({ v: 2, kind: "fanout", tenant_id: name, event_ids: ["evt_x"], origin: "" }),
        attempts: 11,
        redrives: 0,
        createdAt: Date.now() - 600_000,
        redrivenAt: null,
      },
    ]);
    expect(await alarmIn(name)).toBeLessThanOrEqual(GRACE);
    const ran = await runAlarm(name);
    expect(ran.sent).toEqual([{ v: 1, kind: "sweep", tenant_id: name }]);
  });
});
