/**
 * A delivery's first scheduled attempt is kept in the delivery's own row
 * (src/tenant-log/first-attempt.ts): the first try writes no attempt row, and every read (detail,
 * by id, the list with its filters and cursor) shows it among the attempts kept in `attempts`.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { firstAttemptId } from "../../src/attempts/first-attempt-id";
import type { DeliveryChange } from "../../src/attempts/record";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";
import { logCount, logRows, tenantLogStub } from "../helpers/tenant-log";

type Attempt = { id: string; number: number; delivery_id: string; status_code: number | null };

/** Every attempt of the tenant through GET /attempts, `limit` a page, following the cursor. */
async function allPages(tenant: string, query: string, limit: number): Promise<Attempt[]> {
  const out: Attempt[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const res: { status: number; body: any } = await api(
      "GET",
      `/v1/tenants/${tenant}/attempts?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
  throw new Error("more than 50 pages");
}

describe("a delivery's first attempt, kept in its row", () => {
  it("a first-try success writes no attempt row; detail, by id and the list show it", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const [delivery] = await l.deliveries();
    expect(delivery.status).toBe("succeeded");
    expect(await logCount(l.tenant, "attempts")).toBe(0);
    const id = firstAttemptId(delivery.id);
    const detail = await l.delivery(delivery.id);
    expect(detail.attempts).toMatchObject([{ id, number: 1, trigger: "scheduled", status_code: 200 }]);
    const one = await api("GET", `/v1/tenants/${l.tenant}/attempts/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, delivery_id: delivery.id, endpoint_id: l.endpoint.id, number: 1 });
    expect(one.body.request_headers["webhook-attempt"]).toBe("1");
    const listed = await api("GET", `/v1/tenants/${l.tenant}/attempts`);
    expect(listed.body.data.map((a: Attempt) => a.id)).toEqual([id]);
    // An attempt id no delivery has is still a 404.
    const other = `${id.slice(0, -1)}${id.endsWith("0") ? "1" : "0"}`;
    const missing = await api("GET", `/v1/tenants/${l.tenant}/attempts/${other}`);
    expect(missing.status).toBe(404);
  });

  it("the list merges both places newest first, page by page, with its filters", async () => {
    const l = await ladder({ path: uniquePath("/status/503"), endpoint: { retry_policy: { schedule_s: [60, 60] } } });
    for (let i = 0; i < 3; i++) await l.post({ type: "a.b", data: { i } });
    await l.runAlarm();
    await l.advance(60_000);
    await l.runAlarm();
    await l.advance(60_000);
    await l.runAlarm();
    const ids = (await allPages(l.tenant, "", 100)).map((a) => a.id);
    expect(ids).toHaveLength(9);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(await logCount(l.tenant, "attempts")).toBe(6); // 3 first attempts are in their deliveries' rows
    for (const limit of [1, 2, 4]) expect((await allPages(l.tenant, "", limit)).map((a) => a.id)).toEqual(ids);
    const firsts = (await l.deliveries()).map((d: { id: string }) => firstAttemptId(d.id));
    expect(ids.filter((id) => firsts.includes(id))).toHaveLength(3);
    expect((await allPages(l.tenant, "&status_code_class=5xx", 2)).map((a) => a.id)).toEqual(ids);
    expect(await allPages(l.tenant, "&status_code_class=2xx", 2)).toEqual([]);
    expect(await allPages(l.tenant, "&error=timeout", 2)).toEqual([]);
    const [d] = await l.deliveries();
    // In id order. (The test clock runs a day ahead, so this isolate mints every id in one
    // millisecond: a first attempt, which carries its event's time, may sort anywhere among them.)
    const ofOne = await allPages(l.tenant, `&delivery_id=${d.id}`, 2);
    expect(ofOne.map((a) => a.number).sort()).toEqual([1, 2, 3]);
    expect(ofOne.map((a) => a.id)).toEqual(ids.filter((id) => ofOne.some((a) => a.id === id)));
    const until = (await l.delivery(d.id)).attempts[0].started_at as string;
    const early = await allPages(l.tenant, `&until=${encodeURIComponent(until)}`, 2);
    expect(early.map((a) => a.number)).toEqual([1, 1, 1]);
  });

  it("an outcome of the first attempt recorded twice, or after a cancel, is kept once and the cancel holds", async () => {
    const tenant = uniqueTenantId("first");
    const deliveryId = "dlv_01jd00000000000000000000f1.0";
    const stub = tenantLogStub(tenant);
    await runInDurableObject(stub, (_i: TenantLog, state) => {
      state.storage.sql.exec(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
         VALUES (?, ?, 'evt_01jd00000000000000000000f1', 'ep_1', 'a.b', '', 'cancelled', 0, 1, 1)`,
        deliveryId,
        tenant,
      );
    });
    const change = (statusCode: number): DeliveryChange => ({
      delivery: { id: deliveryId, tenantId: tenant, endpointId: "ep_1", eventId: "evt_01jd00000000000000000000f1" },
      attempt: {
        id: firstAttemptId(deliveryId),
        number: 1,
        trigger: "scheduled",
        url: "https://example.com/hook",
        startedAt: 5_000,
        durationMs: 7,
        ok: statusCode < 300,
        statusCode,
        responseBody: "nope",
        error: null,
        errorDetail: null,
        failure: statusCode < 300 ? null : "http",
        control: null,
        retryAfter: null,
        requestHeaders: { "x-one": "1" },
      },
      status: statusCode < 300 ? "succeeded" : "pending_retry",
      attemptCount: 1,
    });
    await runInDurableObject(stub, (i: TenantLog) => i.record([change(503), change(200)], Date.now()));
    await runInDurableObject(stub, (i: TenantLog) => i.record([change(200)], Date.now()));
    const detail = (await stub.deliveryDetail(deliveryId))!;
    expect(detail.delivery.status).toBe("cancelled");
    expect(detail.attempts).toMatchObject([{ id: firstAttemptId(deliveryId), number: 1, statusCode: 503 }]);
    expect((await stub.getAttempt(firstAttemptId(deliveryId)))?.requestHeaders).toEqual({ "x-one": "1" });
    const [row] = await logRows<{ n: number }>(tenant, "SELECT COUNT(*) AS n FROM attempts");
    expect(row!.n).toBe(0);
  });
});
