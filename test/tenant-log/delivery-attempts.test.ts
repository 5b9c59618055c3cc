/**
 * A delivery lists its attempts' ids in its own row (src/tenant-log/delivery-attempts.ts): no
 * index row per attempt. Its detail, the attempts list by delivery and the lane's turn check read
 * that list; a log that held attempts before keeps its index and still finds every attempt.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { describe, expect, it } from "vitest";
import { firstAttemptId } from "../../src/attempts/first-attempt-id";
import type { DeliveryChange } from "../../src/attempts/record";
import { ATTEMPT_IDS_PER_DELIVERY } from "../../src/tenant-log/delivery-attempts";
import { migrationsUpTo } from "../../src/tenant-log/migrations";
import { dropAllTables, migrateTenantLog, type TenantLog } from "../../src/tenant-log/tenant-log";
import { api, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const hasIndex = async (tenant: string) =>
  (await logRows(tenant, "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'attempts_delivery'")).length >
  0;

const listed = async (tenant: string, deliveryId: string) =>
  JSON.parse(
    (
      await logRows<{ l: string | null }>(tenant, "SELECT attempt_ids AS l FROM deliveries WHERE id = ?", deliveryId)
    )[0]!.l ?? "[]",
  ) as string[];

const DELIVERY = "dlv_01jd00000000000000000000d1";
const EVENT = "evt_01jd00000000000000000000d1";

/** One failed attempt of DELIVERY, numbered `n`, as the dispatcher's outbox records it. */
function failed(tenant: string, n: number, status: DeliveryChange["status"] = "pending_retry"): DeliveryChange {
  return {
    delivery: { id: DELIVERY, tenantId: tenant, endpointId: "ep_1", eventId: EVENT },
    attempt: {
      id: `att_01jd${String(n).padStart(22, "0")}`,
      number: n,
      trigger: "scheduled",
      url: "https://example.com/hook",
      startedAt: 1_000 + n,
      durationMs: 5,
      ok: false,
      statusCode: 503,
      responseBody: null,
      error: null,
      errorDetail: null,
      failure: "http",
      control: null,
      retryAfter: null,
      requestHeaders: {},
    },
    status,
    attemptCount: n,
  };
}

/** A log holding DELIVERY (in `status`), made at schema `version` (default: the newest). */
async function logWithDelivery(status: string, version?: number) {
  const tenant = uniqueTenantId("att");
  const stub = tenantLogStub(tenant);
  await runInDurableObject(stub, async (_i: TenantLog, state) => {
    if (version !== undefined) {
      dropAllTables(state.storage.sql);
      await migrateTenantLog(drizzle(state.storage), migrationsUpTo(version));
    }
    state.storage.sql.exec(
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
       VALUES (?, ?, ?, 'ep_1', 'a.b', '', ?, 0, 1, 1)`,
      DELIVERY,
      tenant,
      EVENT,
      status,
    );
  });
  return { tenant, stub };
}

const record = (tenant: string, changes: DeliveryChange[]) =>
  runInDurableObject(tenantLogStub(tenant), (instance: TenantLog) => instance.record(changes, Date.now()));

describe("a delivery's attempts, listed in its row", () => {
  it("a new log keeps no index of attempts by delivery; the detail and the list by delivery find all three", async () => {
    const l = await ladder({ path: uniquePath("/status/503"), endpoint: { retry_policy: { schedule_s: [60, 60] } } });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    await l.advance(60_000);
    await l.runAlarm();
    await l.advance(60_000);
    await l.runAlarm();
    const [delivery] = await l.deliveries();
    expect(await hasIndex(l.tenant)).toBe(false);
    const detail = await l.delivery(delivery.id);
    expect(detail.attempts.map((a: { number: number }) => a.number)).toEqual([1, 2, 3]);
    // The first scheduled attempt lives in the delivery's row (src/tenant-log/first-attempt.ts); the rest are listed.
    expect(detail.attempts[0].id).toBe(firstAttemptId(delivery.id));
    expect(await listed(l.tenant, delivery.id)).toEqual(detail.attempts.slice(1).map((a: { id: string }) => a.id));
    const page = await api("GET", `/v1/tenants/${l.tenant}/attempts?delivery_id=${delivery.id}`);
    expect(page.status).toBe(200);
    // Newest id first; the same three (under the test clock every id is of one millisecond, so the
    // first attempt, which carries its event's time, may sort anywhere among them).
    const listedIds = page.body.data.map((a: { id: string }) => a.id);
    expect([...listedIds].sort().reverse()).toEqual(listedIds);
    expect([...listedIds].sort()).toEqual(detail.attempts.map((a: { id: string }) => a.id).sort());
  });

  it("an outcome recorded twice lists its attempt once; one landing after a cancel is listed and the delivery stays cancelled", async () => {
    const { tenant, stub } = await logWithDelivery("cancelled");
    await record(tenant, [failed(tenant, 1)]);
    await record(tenant, [failed(tenant, 1)]);
    const detail = (await stub.deliveryDetail(DELIVERY))!;
    expect(detail.delivery.status).toBe("cancelled");
    expect(detail.attempts.map((a) => a.number)).toEqual([1]);
    expect(await listed(tenant, DELIVERY)).toEqual([failed(tenant, 1).attempt!.id]);
  });

  it(`keeps the newest ${ATTEMPT_IDS_PER_DELIVERY} ids; an older attempt stays readable by id`, async () => {
    const { tenant, stub } = await logWithDelivery("pending_retry");
    const all = Array.from({ length: ATTEMPT_IDS_PER_DELIVERY + 1 }, (_, i) => failed(tenant, i + 1));
    for (let i = 0; i < all.length; i += 250) await record(tenant, all.slice(i, i + 250));
    const ids = await listed(tenant, DELIVERY);
    expect(ids).toHaveLength(ATTEMPT_IDS_PER_DELIVERY);
    expect(ids[0]).toBe(all[1]!.attempt!.id);
    expect(ids.at(-1)).toBe(all.at(-1)!.attempt!.id);
    expect((await stub.deliveryDetail(DELIVERY))!.attempts).toHaveLength(ATTEMPT_IDS_PER_DELIVERY);
    expect(await stub.getAttempt(all[0]!.attempt!.id)).toMatchObject({ number: 1 });
  });

  it("a log that held attempts before (version 8) keeps its index and finds old and new attempts alike", async () => {
    const { tenant, stub } = await logWithDelivery("pending_retry", 8);
    await runInDurableObject(stub, (_i: TenantLog, state) => {
      state.storage.sql.exec(
        `INSERT INTO attempts (id, delivery_id, tenant_id, endpoint_id, event_id, number, trigger, url, started_at, duration_ms, status_code, request_headers)
         VALUES (?, ?, ?, 'ep_1', ?, 1, 'scheduled', 'https://example.com/hook', 1001, 5, 503, '{}')`,
        failed(tenant, 1).attempt!.id,
        DELIVERY,
        tenant,
        EVENT,
      );
    });
    await evictDurableObject(stub); // the next start migrates to the newest version
    await record(tenant, [failed(tenant, 2)]);
    expect(await hasIndex(tenant)).toBe(true);
    expect((await stub.deliveryDetail(DELIVERY))!.attempts.map((a) => a.number)).toEqual([1, 2]);
    expect((await stub.listAttempts({ deliveryId: DELIVERY, limit: 10 })).map((a) => a.number)).toEqual([2, 1]);
  });
});
