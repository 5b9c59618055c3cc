/**
 * What the retention costs in rows written (deletes are billed as rows written, and so is each
 * setAlarm): a segment of delivered webhooks, closed, aged past the retention and dropped by its
 * alarm, counted with the service's own counters (src/lib/row-usage.ts, what GET /metrics shows).
 * A drop writes a handful of rows whatever the segment holds (no per-row deletes), and each
 * hourly look at a segment writes its alarm. The bench (bench/scenarios/cost-per-webhook.mjs)
 * runs this file and turns the printed RETENTION_ROWS line into rows per webhook.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { alarmRowsWritten, retentionRowsWritten, rowsWritten } from "../../src/lib/row-usage";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { ingestEvent, ingestEvents } from "../../src/services/events/ingest";
import { segmentName } from "../../src/tenant-log/segments";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createTenant } from "../helpers/api";
import { CLOCK_AHEAD_MS, ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

const DAY = 86_400_000;
const segment = (tenant: string, n: number) => env.TENANT_LOG.getByName(segmentName(tenant, n));

/** Every counter at once: all rows per store, and the alarm and retention parts of them. */
function counters() {
  return { all: rowsWritten(), alarms: alarmRowsWritten(), retention: retentionRowsWritten() };
}
type Counters = ReturnType<typeof counters>;

/** Rows written between two readings: all stores together, and its alarm and retention parts. */
function delta(after: Counters, before: Counters) {
  const sum = (k: keyof Counters) =>
    (Object.keys(after[k]) as (keyof Counters["all"])[]).reduce(
      (s, store) => s + after[k][store] - before[k][store],
      0,
    );
  return { total: sum("all"), alarms: sum("alarms"), retention: sum("retention"), d1: after.all.d1 - before.all.d1 };
}

/** A segment of `events` webhooks (fan-out 1, delivered on the first try), closed by the next append. */
async function closedSegment(events: number) {
  const l = await ladder({ path: uniquePath("/status/200") });
  const ctx = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: String(events) });
  const results = await ingestEvents(
    ctx,
    l.tenant,
    Array.from({ length: events }, (_, i) => ({ input: { type: "retention.probe", data: { i } } })),
  );
  const ids = results.map((r) => {
    if (!("event" in r)) throw new Error(`not stored: ${JSON.stringify(r)}`);
    return r.event.id;
  });
  await fanOut(
    serviceCtx(env),
    ids.map((eventId) => ({ tenantId: l.tenant, eventId, origin: "" })),
  );
  for (let runs = 0; (await l.received()).length < events; runs++) {
    expect(runs).toBeLessThan(50);
    await l.runAlarm();
  }
  // The next append finds segment 0 full: it closes and segment 1 takes the event.
  const next = await ingestEvent(ctx, l.tenant, { type: "retention.probe", data: { next: true } });
  expect(next.event.id.endsWith(".1")).toBe(true);
  await fanOut(serviceCtx(env), [{ tenantId: l.tenant, eventId: next.event.id, origin: "" }]);
  return l.tenant;
}

/** A segment taking events with nothing half-done (its event fanned out to no endpoint): only retention wakes it. */
async function quietOpenSegment() {
  const tenant = await createTenant();
  const { event } = await ingestEvent(serviceCtx(env), tenant, { type: "retention.quiet", data: {} });
  await fanOut(serviceCtx(env), [{ tenantId: tenant, eventId: event.id, origin: "" }]);
  return segment(tenant, 0);
}

/** Segment 0's rows as if written 40 days ago (retention is 30). */
const age = (tenant: string) =>
  runInDurableObject(segment(tenant, 0), (_i: TenantLog, state) => {
    const aged = "- 40 * 86400000";
    state.storage.sql.exec(`UPDATE events SET created_at = created_at ${aged}`);
    state.storage.sql.exec(`UPDATE deliveries SET created_at = created_at ${aged}, updated_at = updated_at ${aged}`);
    state.storage.sql.exec(`UPDATE attempts SET started_at = started_at ${aged}`);
  });

/** Runs an object's alarm; answers the rows written meanwhile and when its alarm comes back. */
async function alarmRun(stub: DurableObjectStub<TenantLog>) {
  const before = counters();
  const ran = await runDurableObjectAlarm(stub);
  const rows = delta(counters(), before);
  const next = await runInDurableObject(stub, (_i: TenantLog, state) => state.storage.getAlarm());
  return { ran, rows, nextInMs: next === null ? null : next - Date.now() };
}

describe("rows the retention writes", () => {
  it("a segment drop writes the same few rows for 20 webhooks as for 100; each hourly look writes its alarm", async () => {
    const drops: Record<number, ReturnType<typeof delta>> = {};
    let closedLook: Awaited<ReturnType<typeof alarmRun>> | null = null;
    let openLook: Awaited<ReturnType<typeof alarmRun>> | null = null;
    for (const events of [20, 100]) {
      const tenant = await closedSegment(events);
      if (events === 100) {
        // Within retention: a closed segment's look keeps it and comes back in an hour; a segment
        // taking events purges what is due (nothing here) and comes back in an hour.
        closedLook = await alarmRun(segment(tenant, 0));
        openLook = await alarmRun(await quietOpenSegment());
        expect((await segment(tenant, 0).sizes()).events).toBe(events);
      }
      await age(tenant);
      const drop = await alarmRun(segment(tenant, 0));
      expect(drop.ran).toBe(true);
      expect((await segment(tenant, 0).sizes()).events).toBe(0);
      drops[events] = drop.rows;
    }
    // No per-row deletes: the drop's rows do not grow with the webhooks it drops.
    expect(drops[100]!.total).toBe(drops[20]!.total);
    expect(drops[100]!.total).toBeLessThan(20);
    expect(drops[100]!.retention).toBeGreaterThan(0);
    expect(closedLook!.rows.alarms).toBe(1);
    expect(openLook!.rows.alarms).toBe(1);
    expect(openLook!.nextInMs).toBeGreaterThan(3500_000);
    const figures = {
      drop: drops[100],
      closed_look: closedLook!.rows,
      closed_look_every_ms: closedLook!.nextInMs,
      open_look: openLook!.rows,
      open_look_every_ms: openLook!.nextInMs,
    };
    console.log(`RETENTION_ROWS ${JSON.stringify(figures)}`);
  });

  it("a closed segment sleeps until its newest row passes the retention (one alarm, not one an hour), and a shorter retention wakes it at once", async () => {
    const tenant = await closedSegment(5);
    const look = await alarmRun(segment(tenant, 0));
    expect(look.rows.alarms).toBe(1);
    // Its rows are seconds old: the next look is when they pass the 30-day retention, not in an
    // hour (its attempts carry the ladder's clock, a day ahead: CLOCK_AHEAD_MS).
    expect(look.nextInMs).toBeGreaterThan(29 * DAY);
    expect(look.nextInMs).toBeLessThanOrEqual(30 * DAY + CLOCK_AHEAD_MS);
    const alarmOf = () => runInDurableObject(segment(tenant, 0), (_i: TenantLog, state) => state.storage.getAlarm());
    // A shorter retention applies at once: the segment's alarm moves to now, written once; the
    // same retention again arms nothing.
    const before = counters();
    const patched = await api("PATCH", `/v1/tenants/${tenant}`, { body: { retention_days: 7 } });
    expect(patched.status).toBe(200);
    expect(await alarmOf()).toBeLessThanOrEqual(Date.now());
    const armed = alarmRowsWritten().tenant_log - before.alarms.tenant_log;
    expect(armed).toBeGreaterThanOrEqual(1);
    const again = counters();
    expect((await api("PATCH", `/v1/tenants/${tenant}`, { body: { retention_days: 7 } })).status).toBe(200);
    expect(alarmRowsWritten().tenant_log - again.alarms.tenant_log).toBe(0);
    // That run finds the rows young for 7 days too, and sleeps until then.
    const shorter = await alarmRun(segment(tenant, 0));
    expect(shorter.nextInMs).toBeGreaterThan(6 * DAY);
    expect(shorter.nextInMs).toBeLessThanOrEqual(7 * DAY + CLOCK_AHEAD_MS);
  });
});
