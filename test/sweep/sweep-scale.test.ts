/**
 * A sweep over 5,000 tenants: every tenant's half-done work (here an event whose
 * fan-out never ran, as if the isolate died between the write and the queue send) is handed over,
 * and no invocation makes more subrequests than its named bound, under the platform's cap.
 * There is no invocation over all tenants: each TenantLog's alarm asks for its own tenant's sweep,
 * and the sweep queue's consumer takes SWEEPS_PER_INVOCATION of them per invocation (one cron run
 * over all 5,000 would make about 5,000 subrequests in one invocation).
 *
 * Driven deterministically: the alarms run with runDurableObjectAlarm, and the queue messages they
 * and the sweeps send are kept by a counting env (test/helpers/subrequests.ts) and delivered to the
 * Worker's queue handler with createMessageBatch, instead of by the local queue on its own time.
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  SUBREQUESTS_PER_INVOCATION,
  SUBREQUESTS_PER_SWEEP_INVOCATION,
  SWEEP_QUEUE,
  SWEEPS_PER_INVOCATION,
} from "../../src/domain/sweep";
import worker from "../../src/index";
import { fannedOut } from "../../src/tenant-log/fanned-out";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { type Counted, countingEnv } from "../helpers/subrequests";
import { logRows } from "../helpers/tenant-log";

const TENANTS = 5_000;
/** One alarm run: its own SQLite, then at most one queue send (the sweep message). */
const SUBREQUESTS_PER_ALARM = 1;
/** Tenants seeded and alarmed side by side, and queue invocations run side by side (as the platform runs consumers concurrently). */
const PARALLEL = 40;
const INVOCATIONS_AT_ONCE = 8;

const run = Date.now().toString(36);
const ids = Array.from({ length: TENANTS }, (_, i) => `t_sweep_${run}_${String(i).padStart(4, "0")}`);
const eventOf = (tenant: string) => `evt_sweep_${tenant}`;

async function seedTenants(now: number) {
  // 250 rows per statement, as literals (D1 binds at most 100 parameters; the ids are ours).
  for (let i = 0; i < ids.length; i += 250) {
    const values = ids
      .slice(i, i + 250)
      .map((id) => `('${id}', '${id}', '{}', 'production', ${now}, ${now})`)
      .join(", ");
    await env.DB.prepare(
      `INSERT INTO tenants (id, name, metadata, environment, created_at, updated_at) VALUES ${values}`,
    ).run();
  }
}

/**
 * The tenant's log holds an event written 10 minutes ago whose fan-out message was never sent, and
 * the alarm its write armed; the alarm then runs, with the counting env. Answers what it sent.
 */
async function seedAndAlarm(tenant: string, now: number): Promise<Counted> {
  const counted = countingEnv(env, { keepSends: ["SWEEP_QUEUE", "EVENTS_QUEUE"] });
  const stub = env.TENANT_LOG.getByName(tenant);
  await runInDurableObject(stub, async (log: TenantLog, state) => {
    (log as unknown as { env: Env }).env = counted.env;
    state.storage.sql.exec(
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', ?)",
      eventOf(tenant),
      tenant,
      now - 10 * 60_000,
    );
    await state.storage.setAlarm(now + 120_000);
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  return counted;
}

const inBatches = <T>(list: T[], n: number) =>
  Array.from({ length: Math.ceil(list.length / n) }, (_, i) => list.slice(i * n, (i + 1) * n));

/** Runs the Worker's queue handler on one batch with a fresh counting env; answers it and the acks. */
async function consume(queue: string, bodies: unknown[]) {
  const counted = countingEnv(env, { keepSends: ["SWEEP_QUEUE", "EVENTS_QUEUE"] });
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, counted.env, ctx);
  return { counted, result: await getQueueResult(batch, ctx) };
}

describe("a sweep over 5,000 tenants", () => {
  it("hands over every tenant's unfanned event, each invocation under its subrequest bound", {
    timeout: 1_800_000,
  }, async () => {
    expect(SUBREQUESTS_PER_SWEEP_INVOCATION).toBeLessThanOrEqual(SUBREQUESTS_PER_INVOCATION);
    const now = Date.now();
    await seedTenants(now);

    // 1. Each log's own alarm: one sweep message naming its tenant, one subrequest.
    const sweeps: unknown[] = [];
    let largestAlarm = 0;
    for (let i = 0; i < ids.length; i += PARALLEL) {
      const ran = await Promise.all(ids.slice(i, i + PARALLEL).map((id) => seedAndAlarm(id, now)));
      ran.forEach((c, k) => {
        largestAlarm = Math.max(largestAlarm, c.count);
        expect(c.sent.SWEEP_QUEUE).toEqual([{ v: 1, kind: "sweep", tenant_id: ids[i + k] }]);
      });
      sweeps.push(...ran.flatMap((c) => c.sent.SWEEP_QUEUE ?? []));
    }
    expect(largestAlarm).toBeLessThanOrEqual(SUBREQUESTS_PER_ALARM);
    expect(sweeps).toHaveLength(TENANTS);

    // 2. The sweep consumer, SWEEPS_PER_INVOCATION messages per invocation.
    const fanouts: unknown[] = [];
    let largestSweep = 0;
    const sweepBatches = inBatches(sweeps, SWEEPS_PER_INVOCATION);
    for (let i = 0; i < sweepBatches.length; i += INVOCATIONS_AT_ONCE) {
      for (const { counted, result } of await Promise.all(
        sweepBatches.slice(i, i + INVOCATIONS_AT_ONCE).map((b) => consume(SWEEP_QUEUE, b)),
      )) {
        expect(result.retryMessages).toEqual([]);
        largestSweep = Math.max(largestSweep, counted.count);
        fanouts.push(...(counted.sent.EVENTS_QUEUE ?? []));
      }
    }
    expect(largestSweep).toBeLessThanOrEqual(SUBREQUESTS_PER_SWEEP_INVOCATION);
    const requeued = new Set(fanouts.flatMap((m) => (m as { event_ids: string[] }).event_ids));
    expect(ids.filter((id) => !requeued.has(eventOf(id)))).toEqual([]);

    // 3. The fan-outs they queued, through the events consumer: every event is fanned out now.
    const fanoutBatches = inBatches(fanouts, 50);
    for (let i = 0; i < fanoutBatches.length; i += INVOCATIONS_AT_ONCE) {
      for (const { result } of await Promise.all(
        fanoutBatches.slice(i, i + INVOCATIONS_AT_ONCE).map((b) => consume("edgehooks-events", b)),
      )) {
        expect(result.retryMessages).toEqual([]);
      }
    }
    const left: string[] = [];
    for (let i = 0; i < ids.length; i += PARALLEL) {
      const rows = await Promise.all(
        ids
          .slice(i, i + PARALLEL)
          .map((id) =>
            logRows<{ n: number }>(id, `SELECT COUNT(*) AS n FROM events WHERE NOT ${fannedOut("events", false)}`),
          ),
      );
      rows.forEach((r, k) => {
        if (r[0]!.n !== 0) left.push(ids[i + k]!);
      });
    }
    expect(left).toEqual([]);
    console.log(
      `sweep over ${TENANTS} tenants: largest alarm ${largestAlarm} subrequests, largest sweep invocation ${largestSweep} (bound ${SUBREQUESTS_PER_SWEEP_INVOCATION})`,
    );
  });
});
