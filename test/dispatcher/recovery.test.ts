/**
 * Recovery by hand, through the dispatcher: a manual retry attempts a delivery now (a success marks
 * it succeeded, a failure keeps its place on the ladder); cancel takes a pending delivery off the
 * schedule for good; recover re-queues every failed delivery of a window as a task paced by the
 * endpoint's rate limit, counts only deliveries whose event is still stored, and refuses a bad
 * window or an unknown endpoint; resend makes a new delivery to every endpoint that matches now.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, script, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

describe("manual retry", () => {
  it("attempts a failed delivery now; a success marks it succeeded", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 500 }]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] } } });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    await l.advance(1000);
    await l.runAlarm();
    const [failed] = await l.deliveries(eventId);
    expect(failed.status).toBe("failed");

    const retry = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${failed.id}/retry`);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ trigger: "manual", status_code: 200, number: 3 });
    const detail = await l.delivery(failed.id);
    expect(detail.status).toBe("succeeded");
    expect(detail.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(["scheduled", "scheduled", "manual"]);
  });

  it("a failed manual attempt keeps the delivery's place on the ladder", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [600, 600] } } });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const before = (await l.inspect()).pending[0]!;
    const [d] = await l.deliveries(eventId);
    const retry = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d.id}/retry`);
    expect(retry.body).toMatchObject({ trigger: "manual", status_code: 500 });
    const after = (await l.inspect()).pending[0]!;
    expect(after).toMatchObject({ due_at: before.due_at, attempts: before.attempts, lease_until: null });
    expect((await l.delivery(d.id)).status).toBe("pending_retry");
  });
});

describe("cancel", () => {
  it("cancels a pending delivery: it leaves the schedule and is never sent again", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [5] } } });
    const eventId = await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const [d] = await l.deliveries(eventId);
    const res = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("cancelled");
    expect((await l.inspect()).pending).toHaveLength(0);
    await l.advance(5000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    // Cancelling a finished delivery is a conflict.
    const again = await api("POST", `/v1/tenants/${l.tenant}/deliveries/${d.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
  });
});

describe("recover", () => {
  it("re-queues every failed delivery in the window as a task, paced by the rate limit", async () => {
    const path = uniquePath("/scripted");
    await script(path, Array(6).fill({ status: 500 }));
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] }, rate_limit_per_s: 2 } });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await l.post({ type: "a.b", data: { n: i } }));
    await l.runAlarm(); // 2 (rate limit)
    await l.advance(1000);
    await l.runAlarm(); // 1 more + 1 retry
    await l.advance(1000);
    await l.runAlarm();
    await l.advance(1000);
    await l.runAlarm();
    const failed = (await l.deliveries()).filter((d) => d.status === "failed");
    expect(failed).toHaveLength(3);

    const since = new Date(Date.now() - 3600_000).toISOString();
    const res = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, { body: { since } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "running", total: 3, done: 0 });
    const taskId = res.body.id;

    await l.runAlarm(); // paced: two this second
    let task = (await api("GET", `/v1/tasks/${taskId}`)).body;
    expect(task).toMatchObject({ total: 3, done: 2, status: "running" });
    await l.advance(1000);
    await l.runAlarm();
    task = (await api("GET", `/v1/tasks/${taskId}`)).body;
    expect(task).toMatchObject({ total: 3, done: 3, status: "completed" });
    const after = await l.deliveries();
    expect(after.every((d) => d.status === "succeeded")).toBe(true);
    const detail = await l.delivery(after[0].id);
    expect(detail.attempts.at(-1).trigger).toBe("recover");
  });

  it("counts only deliveries whose event is still stored, so the task completes after a purge", async () => {
    const path = uniquePath("/scripted");
    await script(path, Array(4).fill({ status: 500 }));
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] } } });
    const kept = await l.post({ type: "a.b", data: { n: 1 } });
    const purged = await l.post({ type: "a.b", data: { n: 2 } });
    await l.runAlarm();
    await l.advance(1000);
    await l.runAlarm();
    expect((await l.deliveries()).map((d) => d.status)).toEqual(["failed", "failed"]);
    // Retention removed one event's payload but not (yet) its delivery.
    await logRows(l.tenant, "DELETE FROM events WHERE id = ?", purged);

    const res = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, {
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(res.body).toMatchObject({ total: 1, done: 0 });
    await l.runAlarm();
    expect((await api("GET", `/v1/tasks/${res.body.id}`)).body).toMatchObject({
      total: 1,
      done: 1,
      status: "completed",
    });
    expect((await l.deliveries(kept))[0].status).toBe("succeeded");
  });

  it("refuses a bad window and an unknown endpoint", async () => {
    const l = await ladder();
    const bad = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, {
      body: { since: "yesterday" },
    });
    expect(bad.status).toBe(400);
    const inverted = await api("POST", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}/recover`, {
      body: { since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" },
    });
    expect(inverted.status).toBe(400);
    const missing = await api("POST", `/v1/tenants/${l.tenant}/endpoints/ep_01jd0000000000000000000000/recover`, {
      body: { since: "2026-01-01T00:00:00Z" },
    });
    expect(missing.status).toBe(404);
    expect((await api("GET", "/v1/tasks/task_01jd0000000000000000000000")).status).toBe(404);
  });
});

describe("resend", () => {
  it("creates a new delivery to every endpoint that matches now", async () => {
    const tenant = await createTenant();
    const pathA = uniquePath("/ok");
    const pathB = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(pathA) });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { x: 1 } } });
    await waitForReceived(pathA, 1);
    await createEndpoint(tenant, { url: receiverUrl(pathB) }); // subscribed after the event
    const res = await api("POST", `/v1/tenants/${tenant}/events/${posted.body.id}/resend`);
    expect(res.status).toBe(202);
    const a = await waitForReceived(pathA, 2);
    const b = await waitForReceived(pathB, 1);
    expect(a[1]!.headers["webhook-id"]).toBe(posted.body.id);
    expect(b[0]!.headers["webhook-id"]).toBe(posted.body.id);
    const deliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
      (r) => r.body.data.length === 3 && r.body.data.every((d: { status: string }) => d.status === "succeeded"),
    );
    expect(deliveries.body.data).toHaveLength(3);
    expect((await api("POST", `/v1/tenants/${tenant}/events/evt_01jd0000000000000000000000/resend`)).status).toBe(404);
  });
});
