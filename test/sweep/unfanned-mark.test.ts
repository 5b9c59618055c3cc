/**
 * The sweep's look for events never fanned out, without an index (src/tenant-log/sweep-check.ts):
 * it walks the id index from a mark, finds a lost fan-out behind any number of completed ones,
 * and moves the mark only up to the first event not fanned out, never past now minus the grace.
 * An event's own delivery says it was fanned out (src/tenant-log/fanned-out.ts): no mark row.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { firstIdAt } from "../../src/db/ids";
import { nextUnfannedFrom, UNFANNED_FROM } from "../../src/tenant-log/sweep-check";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const markOf = (stub: DurableObjectStub<TenantLog>) =>
  runInDurableObject(
    stub,
    (_i: TenantLog, state) =>
      state.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", UNFANNED_FROM).toArray()[0]?.v ?? null,
  );

describe("events never fanned out, found from a mark", () => {
  it("finds one behind 3,000 fanned out, stops its mark there, and moves on once the sweep fanned it out", async () => {
    const tenant = await createTenant();
    const warm = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    const stub = tenantLogStub(tenant);
    await eventually(
      () => stub.getEvent(warm.body.id),
      (e) => e?.fannedOutAt != null,
    );
    const hourAgo = Date.now() - 3600_000;
    // Distinct ids an hour old, one per millisecond, in id order.
    const idAt = (i: number) => `${firstIdAt("evt", hourAgo + i).slice(0, -4)}0001`;
    const lost = idAt(1500);
    await runInDurableObject(stub, (_i: TenantLog, state) => {
      for (let i = 0; i < 3000; i++)
        state.storage.sql.exec(
          "INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES (?, ?, 'a.b', '{}', ?, ?)",
          idAt(i),
          tenant,
          hourAgo + i,
          i === 1500 ? null : hourAgo + i,
        );
    });
    expect(await stub.unfanned(Date.now(), 10)).toEqual([lost]);

    // The log's look finds it, asks for a sweep, and moves its mark up to it, not past it.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await markOf(stub)).toBe(lost);
    expect(await stub.unfanned(Date.now(), 10)).toEqual([lost]);

    // The sweep it asked for queues the fan-out again; once it ran, the next look moves past it.
    await eventually(
      () => stub.getEvent(lost),
      (e) => e?.fannedOutAt != null,
    );
    await runInDurableObject(stub, (_i: TenantLog, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    const mark = (await markOf(stub))!;
    expect(mark > lost).toBe(true);
    expect(mark <= firstIdAt("evt", Date.now() - readConfig(env).sweepGraceMs)).toBe(true);
    expect(await stub.unfanned(Date.now(), 10)).toEqual([]);
  });

  it("an event whose fan-out wrote a delivery needs no mark: it reads as fanned out and no look hands it again", async () => {
    const tenant = await createTenant();
    const endpoint = await createEndpoint(tenant, {
      url: receiverUrl(uniquePath("/fanned")),
      event_types: ["job.done"],
    });
    const [delivered, unmatched] = await Promise.all([
      api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "job.done", data: {} } }),
      api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "job.other", data: {} } }),
    ]);
    const stub = tenantLogStub(tenant);
    await eventually(
      () => stub.getEvent(delivered.body.id),
      (e) => e?.fannedOutAt != null,
    );
    await eventually(
      () => stub.getEvent(unmatched.body.id),
      (e) => e?.fannedOutAt != null,
    );
    const marks = await logRows<{ id: string; fanned_out_at: number | null }>(
      tenant,
      "SELECT id, fanned_out_at FROM events WHERE id IN (?, ?)",
      delivered.body.id,
      unmatched.body.id,
    );
    const markOfEvent = new Map(marks.map((r) => [r.id, r.fanned_out_at]));
    // The delivery says it: no row written for the mark. The event that matched nothing is marked.
    expect(markOfEvent.get(delivered.body.id)).toBeNull();
    expect(markOfEvent.get(unmatched.body.id)).not.toBeNull();
    const [own] = await logRows<{ n: number }>(
      tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ? AND endpoint_id = ? AND origin = ''",
      delivered.body.id,
      endpoint.id,
    );
    expect(own!.n).toBe(1);
    expect(await stub.unfanned(Date.now() + 3600_000, 10)).toEqual([]);
  });

  it("never moves the mark past the ids minted before now minus the grace", () => {
    const before = Date.now() - 120_000;
    const bound = firstIdAt("evt", before);
    expect(nextUnfannedFrom(null, before)).toBe(bound);
    expect(nextUnfannedFrom({ id: firstIdAt("evt", before + 1) }, before)).toBe(bound);
    const older = `${firstIdAt("evt", before - 1).slice(0, -1)}1`;
    expect(nextUnfannedFrom({ id: older }, before)).toBe(older);
  });
});
