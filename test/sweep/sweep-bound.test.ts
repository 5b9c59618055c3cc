/**
 * One tenant's sweep at its limits (src/domain/sweep.ts): more unfanned events, orphaned
 * deliveries over more endpoints, more stalled recover tasks with more pages, and more dead letters
 * than one run takes. It takes its share of each (SWEEP_LIMITS), leaves the rest for the next run,
 * and its subrequests stay under SUBREQUESTS_PER_SWEEP, counted at the bindings.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SUBREQUESTS_PER_SWEEP, SWEEP_LIMITS } from "../../src/domain/sweep";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";
import { countingEnv } from "../helpers/subrequests";

const ENDPOINTS = SWEEP_LIMITS.handOffEndpoints + 5;
const UNFANNED = SWEEP_LIMITS.unfanned + 100;
const TASKS = SWEEP_LIMITS.tasks + 1;
const FAILED = 400; // more pages than a sweep takes per task (90 a page)
const DEAD_LETTERS = SWEEP_LIMITS.deadLetters + 10;

describe("one tenant's sweep at its limits", () => {
  it("takes its share of every step and stays under SUBREQUESTS_PER_SWEEP", { timeout: 120_000 }, async () => {
    const tenant = await createTenant();
    const endpoints: { id: string }[] = [];
    for (let i = 0; i < ENDPOINTS; i++)
      endpoints.push(await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) }));
    const old = Date.now() - 10 * 60_000;
    await runInDurableObject(env.TENANT_LOG.getByName(tenant), (_log: TenantLog, state) => {
      const sql = state.storage.sql;
      const event = (id: string, fannedOut: number | null) =>
        sql.exec(
          "INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES (?, ?, 'a.b', '{}', ?, ?)",
          id,
          tenant,
          old,
          fannedOut,
        );
      const delivery = (id: string, endpointId: string, origin: string, status: string) =>
        sql.exec(
          "INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at) VALUES (?, ?, 'evt_bound', ?, 'a.b', ?, ?, ?, ?, ?)",
          id,
          tenant,
          endpointId,
          origin,
          status,
          status === "failed" ? 5 : 0,
          old,
          old,
        );
      event("evt_bound", old);
      for (let i = 0; i < UNFANNED; i++) event(`evt_unfanned_${String(i).padStart(4, "0")}`, null);
      for (const [i, e] of endpoints.entries())
        delivery(`dlv_orphan_${String(i).padStart(3, "0")}`, e.id, "", "pending");
      // Each task recovers its own endpoint's failed deliveries.
      for (let t = 0; t < TASKS; t++)
        for (let i = 0; i < FAILED; i++)
          delivery(`dlv_failed_${t}_${String(i).padStart(4, "0")}`, endpoints[t]!.id, `resend:${i}`, "failed");
      for (let i = 0; i < TASKS; i++)
        sql.exec(
          "INSERT INTO tasks (id, tenant_id, endpoint_id, kind, params, total, created_at, window_since, window_until, handed, updated_at) VALUES (?, ?, ?, 'recover', '{}', ?, ?, 0, ?, 0, ?)",
          `task_bound_${i}`,
          tenant,
          endpoints[i]!.id,
          FAILED,
          old,
          Date.now(),
          old,
        );
      for (let i = 0; i < DEAD_LETTERS; i++)
        sql.exec(
          "INSERT INTO dead_letters (id, queue, kind, body, attempts, redrives, created_at) VALUES (?, 'edgehooks-events-dlq', 'fanout', ?, 11, 0, ?)",
          `dlq_bound_${String(i).padStart(3, "0")}`,
          JSON.stringify({ v: 2, kind: "fanout", tenant_id: tenant, event_ids: ["evt_bound"], origin: "" }),
          old,
        );
    });

    // The fan-out messages it queues are kept: this test is about the sweep's own work.
    const counted = countingEnv(env, { keepSends: ["EVENTS_QUEUE"] });
    const result = await sweepTenant(serviceCtx(counted.env), tenant, Date.now());
    expect(result).toEqual({
      requeued: SWEEP_LIMITS.unfanned,
      rehanded: SWEEP_LIMITS.handOffEndpoints,
      tasks: SWEEP_LIMITS.tasks,
      redriven: SWEEP_LIMITS.deadLetters,
    });
    expect(counted.count).toBeLessThanOrEqual(SUBREQUESTS_PER_SWEEP);
    // Every page a resumed task handed out moved its cursor, and no task handed more than its pages.
    const handed = await runInDurableObject(env.TENANT_LOG.getByName(tenant), (_log: TenantLog, state) =>
      state.storage.sql.exec<{ handed: number }>("SELECT handed FROM tasks ORDER BY id").toArray(),
    );
    expect(handed.map((t) => t.handed)).toEqual([
      ...Array(SWEEP_LIMITS.tasks).fill(SWEEP_LIMITS.taskPages * 90),
      ...Array(TASKS - SWEEP_LIMITS.tasks).fill(0),
    ]);
    console.log(`one sweep at its limits: ${counted.count} subrequests (bound ${SUBREQUESTS_PER_SWEEP})`);
  });
});
