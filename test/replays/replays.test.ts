/**
 * Replays against the real receiver: the plan's counts equal what the run sends, for each filter
 * and both modes; cancel stops a running replay; `missing` sends exactly what a disabled endpoint
 * skipped, once; bad filters answer 400; another tenant's endpoints and tasks are refused.
 * The dispatchers run on frozen clocks (test/helpers/ladder.ts): only runAlarm sends.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/db/ids";
import { taskOwners } from "../../src/db/schema";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { ingestEvent } from "../../src/services/events/ingest";
import { tenantLogFor } from "../../src/tenant-log/client";
import { api, createTenant, eventually } from "../helpers/api";
import { type Ladder, ladder } from "../helpers/ladder";
import { received, script, uniquePath } from "../helpers/receiver";

const HOUR = 3600_000;
const since = () => new Date(Date.now() - HOUR).toISOString();

async function replayCall(tenant: string, body: Record<string, unknown>, key?: string) {
  return api("POST", `/v1/tenants/${tenant}/replays`, { body, key });
}

/** Runs a replay for real and answers what each endpoint's receiver got from it (webhook-ids). */
async function runAndCollect(tenant: string, body: Record<string, unknown>, ladders: Ladder[]) {
  const before = await Promise.all(ladders.map((l) => received(l.path).then((r) => r.length)));
  const res = await replayCall(tenant, body);
  expect(res.status).toBe(202);
  for (const l of ladders) await l.runAlarm();
  const got = await Promise.all(
    ladders.map(async (l, i) => (await received(l.path)).slice(before[i]).map((r) => r.headers["webhook-id"])),
  );
  return { task: res.body, got };
}

/**
 * Two endpoints of one tenant: A answers 200; B answers 500 to its first six attempts (two tries
 * each, so the first three deliveries end `failed` with a 5xx) and 200 after, so its breaker
 * never opens while replays go to it.
 */
async function twoEndpoints() {
  const tenant = await createTenant();
  const a = await ladder({ tenant, path: uniquePath("/ok") });
  const bPath = uniquePath("/scripted");
  await script(bPath, Array(6).fill({ status: 500 }));
  const b = await ladder({ tenant, path: bPath, endpoint: { retry_policy: { schedule_s: [1] } } });
  /** Posts an event; fans it out now (once, for both endpoints) unless `viaQueue`, which leaves it to the queue's consumer. */
  const post = async (body: Record<string, unknown>, viaQueue = false) => {
    const res = await api("POST", `/v1/tenants/${tenant}/events`, { body });
    expect(res.status).toBe(202);
    if (!viaQueue) await fanOut(serviceCtx(env), [{ tenantId: tenant, eventId: res.body.id, origin: "" }]);
    return res.body as { id: string; created_at: string };
  };
  return { tenant, a, b, post };
}

describe("replay retry: the plan equals what the run sends, for each filter", () => {
  it("endpoint_ids, event_types, statuses, status_class, channel, since/until and none", {
    timeout: 60_000,
  }, async () => {
    const { tenant, a, b, post } = await twoEndpoints();
    const e1 = await post({ type: "a.b", data: { n: 1 }, channels: ["x"] });
    const e2 = await post({ type: "a.c", data: { n: 2 }, channels: ["y"] });
    const e3 = await post({ type: "d.e", data: { n: 3 } });
    await a.runAlarm();
    await b.runAlarm();
    await b.advance(1000);
    await b.runAlarm();
    expect((await a.deliveries()).map((d) => d.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect((await b.deliveries()).map((d) => d.status)).toEqual(["failed", "failed", "failed"]);

    // Those selecting `succeeded` first: B's replays succeed, and a later replay may select them.
    const cases: { filter: Record<string, unknown>; a: string[]; b: string[]; byStatus: Record<string, number> }[] = [
      { filter: { statuses: ["succeeded"] }, a: [e1.id, e2.id, e3.id], b: [], byStatus: { succeeded: 3 } },
      { filter: { endpoint_ids: [a.endpoint.id] }, a: [e1.id, e2.id, e3.id], b: [], byStatus: { succeeded: 3 } },
      { filter: {}, a: [e1.id, e2.id, e3.id], b: [e1.id, e2.id, e3.id], byStatus: { succeeded: 3, failed: 3 } },
      { filter: { event_types: ["a.*"] }, a: [e1.id, e2.id], b: [e1.id, e2.id], byStatus: { succeeded: 2, failed: 2 } },
      { filter: { event_types: ["d.e"], statuses: ["failed"] }, a: [], b: [e3.id], byStatus: { failed: 1 } },
      { filter: { status_class: "5xx" }, a: [], b: [e1.id, e2.id, e3.id], byStatus: { failed: 3 } },
      { filter: { channel: "x" }, a: [e1.id], b: [e1.id], byStatus: { succeeded: 1, failed: 1 } },
      {
        filter: { since: e2.created_at, until: e2.created_at },
        a: [e2.id],
        b: [e2.id],
        byStatus: { succeeded: 1, failed: 1 },
      },
    ];
    for (const c of cases) {
      const body = { mode: "retry", since: since(), ...c.filter };
      const plan = await replayCall(tenant, { ...body, dry_run: true });
      expect(plan.status, JSON.stringify(c.filter)).toBe(200);
      expect(plan.body.total, JSON.stringify(c.filter)).toBe(c.a.length + c.b.length);
      expect(plan.body.by_status).toEqual(c.byStatus);
      const byEndpoint = Object.fromEntries(
        plan.body.by_endpoint.map((x: { endpoint_id: string; count: number }) => [x.endpoint_id, x.count]),
      );
      expect(byEndpoint).toEqual(
        Object.fromEntries(
          [
            [a.endpoint.id, c.a.length],
            [b.endpoint.id, c.b.length],
          ].filter(([, n]) => n),
        ),
      );
      const { task, got } = await runAndCollect(tenant, body, [a, b]);
      expect(task).toMatchObject({ kind: "replay", total: plan.body.total, endpoint_id: null });
      expect(got[0]!.sort(), JSON.stringify(c.filter)).toEqual([...c.a].sort());
      expect(got[1]!.sort(), JSON.stringify(c.filter)).toEqual([...c.b].sort());
    }
  });

  it("a replay's progress is read at GET /v1/tasks/{id}, and the originals keep their status", async () => {
    const { tenant, a, post } = await twoEndpoints();
    await post({ type: "a.b", data: {} });
    await post({ type: "a.b", data: {} });
    await a.runAlarm();
    const res = await replayCall(tenant, { mode: "retry", since: since(), endpoint_ids: [a.endpoint.id] });
    expect(res.body).toMatchObject({ status: "running", total: 2, done: 0 });
    await a.runAlarm();
    expect((await api("GET", `/v1/tasks/${res.body.id}`)).body).toMatchObject({
      kind: "replay",
      status: "completed",
      total: 2,
      done: 2,
    });
    const list = await a.deliveries();
    expect(list).toHaveLength(4);
    expect(list.every((d) => d.status === "succeeded")).toBe(true);
  });
});

describe("replay missing", () => {
  it("sends exactly the events a disabled endpoint skipped, and nothing twice", { timeout: 60_000 }, async () => {
    const { tenant, a, b, post } = await twoEndpoints();
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`)).status).toBe(200);
    // Fanned out by the queue's consumer while B is disabled: A's deliveries show it has run.
    const skipped1 = await post({ type: "a.b", data: { n: 1 } }, true);
    const skipped2 = await post({ type: "a.c", data: { n: 2 }, channels: ["x"] }, true);
    await eventually(
      () => a.deliveries(),
      (list) => list.length === 2,
    );
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/enable`)).status).toBe(200);
    await post({ type: "a.b", data: { n: 3 } }); // after the enable: B has it already
    await a.runAlarm();
    await b.runAlarm();
    const bBefore = (await received(b.path)).length;
    expect(bBefore).toBe(1);

    // A filter narrows the plan, and the run sends what it said.
    const narrow = await replayCall(tenant, { mode: "missing", since: since(), channel: "x", dry_run: true });
    expect(narrow.body).toMatchObject({
      total: 1,
      by_endpoint: [{ endpoint_id: b.endpoint.id, count: 1 }],
      by_status: { missing: 1 },
    });
    const typed = await replayCall(tenant, { mode: "missing", since: since(), event_types: ["a.b"], dry_run: true });
    expect(typed.body.total).toBe(1);

    const plan = await replayCall(tenant, { mode: "missing", since: since(), dry_run: true });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      mode: "missing",
      total: 2,
      by_endpoint: [{ endpoint_id: b.endpoint.id, count: 2 }],
      by_status: { missing: 2 },
    });

    const { task, got } = await runAndCollect(tenant, { mode: "missing", since: since() }, [a, b]);
    expect(task.total).toBe(2);
    expect(got[0]).toEqual([]);
    expect(got[1]!.sort()).toEqual([skipped1.id, skipped2.id].sort());

    // Nothing twice: the plan is empty now, and a second run sends nothing.
    expect((await replayCall(tenant, { mode: "missing", since: since(), dry_run: true })).body.total).toBe(0);
    const again = await runAndCollect(tenant, { mode: "missing", since: since() }, [a, b]);
    expect(again.task).toMatchObject({ total: 0, status: "completed" });
    expect(again.got).toEqual([[], []]);
    expect((await received(b.path)).map((r) => r.headers["webhook-id"])).toHaveLength(bBefore + 2);
  });
});

describe("cancel", () => {
  it("stops a running replay: nothing is sent after the cancel answers", async () => {
    const tenant = await createTenant();
    const a = await ladder({ tenant, path: uniquePath("/ok"), endpoint: { rate_limit_per_s: 1 } });
    for (let i = 0; i < 3; i++) await a.post({ type: "a.b", data: { i } });
    for (let i = 0; i < 3; i++) {
      await a.runAlarm();
      await a.advance(1000);
    }
    expect(await a.received()).toHaveLength(3);
    const res = await replayCall(tenant, { mode: "retry", since: since() });
    expect(res.body.total).toBe(3);
    await a.runAlarm(); // the rate limit lets one go this second
    expect(await a.received()).toHaveLength(4);

    const cancel = await api("POST", `/v1/tasks/${res.body.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ id: res.body.id, status: "cancelled", total: 3, done: 3 });
    expect((await a.inspect()).pending).toHaveLength(0);
    for (let i = 0; i < 3; i++) {
      await a.advance(10_000);
      await a.runAlarm();
    }
    expect(await a.received()).toHaveLength(4);
    const statuses = (await a.deliveries()).map((d) => d.status).sort();
    expect(statuses).toEqual(["cancelled", "cancelled", "succeeded", "succeeded", "succeeded", "succeeded"]);
    expect((await api("GET", `/v1/tasks/${res.body.id}`)).body.status).toBe("cancelled");
  });
});

describe("bad filters and other tenants", () => {
  it("answers 400 in the envelope for each bad filter", async () => {
    const { tenant, b } = await twoEndpoints();
    const bad: [Record<string, unknown>, string][] = [
      [{ mode: "retry" }, "since"],
      [{ mode: "again", since: since() }, "mode"],
      [{ mode: "retry", since: since(), event_type: ["a.b"] }, ""],
      [{ mode: "retry", since: since(), statuses: ["pending"] }, "statuses.0"],
      [{ mode: "missing", since: since(), statuses: ["failed"] }, "statuses"],
      [{ mode: "missing", since: since(), status_class: "5xx" }, "status_class"],
      [{ mode: "retry", since: since(), status_class: "6xx" }, "status_class"],
      [{ mode: "retry", since: since(), event_types: ["bad type!"] }, "event_types.0"],
      [{ mode: "retry", since: since(), endpoint_ids: ["nope"] }, "endpoint_ids.0"],
      [{ mode: "retry", since: since(), endpoint_ids: [] }, "endpoint_ids"],
      [{ mode: "retry", since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" }, "until"],
      [{ mode: "retry", since: "2026-01-01T00:00:00Z", until: "2026-01-09T00:00:00Z" }, "until"],
      [{ mode: "retry", since: since(), dry_run: "yes" }, "dry_run"],
    ];
    for (const [body, path] of bad) {
      const res = await replayCall(tenant, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("bad_request");
      if (path)
        expect(
          res.body.error.issues.map((i: { path: string }) => i.path),
          JSON.stringify(body),
        ).toContain(path);
    }
    // A disabled endpoint named: a conflict that says what to do.
    await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    const disabled = await replayCall(tenant, { mode: "missing", since: since(), endpoint_ids: [b.endpoint.id] });
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.message).toContain("disabled");
  });

  it("refuses another tenant's endpoint ids and tasks", async () => {
    const mine = await twoEndpoints();
    const other = await twoEndpoints();
    await other.post({ type: "a.b", data: {} });
    await other.a.runAlarm();
    const res = await replayCall(mine.tenant, {
      mode: "retry",
      since: since(),
      endpoint_ids: [other.a.endpoint.id],
      dry_run: true,
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");

    const key = await api("POST", "/v1/api-keys", {
      body: { name: "mine", scopes: ["admin"], tenant_id: mine.tenant },
    });
    expect(key.status).toBe(201);
    const theirs = await replayCall(other.tenant, { mode: "retry", since: since() });
    expect(theirs.status).toBe(202);
    expect((await api("POST", `/v1/tasks/${theirs.body.id}/cancel`, { key: key.body.key })).status).toBe(404);
    expect((await api("GET", `/v1/tasks/${theirs.body.id}`, { key: key.body.key })).status).toBe(404);
    expect((await replayCall(other.tenant, { mode: "retry", since: since() }, key.body.key)).status).toBe(404);
    expect((await replayCall("no_such_tenant_x", { mode: "retry", since: since() })).status).toBe(404);
  });
});

describe("resume", () => {
  it("the sweep resumes a replay whose run stopped after the task was written, and sends what its plan said", async () => {
    const tenant = await createTenant();
    const a = await ladder({ tenant, path: uniquePath("/ok") });
    for (let i = 0; i < 3; i++) await a.post({ type: "a.b", data: { i } });
    await a.runAlarm();
    expect(await a.received()).toHaveLength(3);
    const plan = await replayCall(tenant, { mode: "retry", since: since(), dry_run: true });
    expect(plan.body.total).toBe(3);

    // What a run that died right after writing its task leaves: the task, nothing handed out.
    const now = Date.now();
    const id = newId("task", now);
    await serviceCtx(env).db.insert(taskOwners).values({ id, tenantId: tenant });
    const filter = {
      mode: "retry" as const,
      endpointIds: [a.endpoint.id],
      eventTypes: null,
      statuses: null,
      statusClass: null,
      channel: null,
      since: now - HOUR,
      until: now,
      asOf: now,
    };
    const params = {
      mode: "retry",
      endpoint_ids: null,
      covered_endpoint_ids: [a.endpoint.id],
      event_types: null,
      statuses: null,
      status_class: null,
      channel: null,
      since: new Date(now - HOUR).toISOString(),
      until: new Date(now).toISOString(),
    };
    const routable = [{ id: a.endpoint.id, status: "active", eventTypes: null, channels: null, filter: null }];
    await tenantLogFor(env, tenant).createReplay(
      {
        id,
        tenantId: tenant,
        endpointId: "",
        kind: "replay",
        params,
        createdAt: now,
        windowSince: now - HOUR,
        windowUntil: now,
        updatedAt: now,
      },
      filter,
      routable,
      10_000,
    );
    expect((await api("GET", `/v1/tasks/${id}`)).body).toMatchObject({ status: "running", total: 3, done: 0 });

    const swept = await sweepTenant(serviceCtx(env), tenant, now + 24 * HOUR);
    expect(swept.tasks).toBe(1);
    await a.runAlarm();
    expect(await a.received()).toHaveLength(6);
    expect((await api("GET", `/v1/tasks/${id}`)).body).toMatchObject({ status: "completed", total: 3, done: 3 });
    // Handed out: a later sweep finds nothing stalled, and nothing is sent twice.
    expect((await sweepTenant(serviceCtx(env), tenant, now + 48 * HOUR)).tasks).toBe(0);
    await a.runAlarm();
    expect(await a.received()).toHaveLength(6);
  });
});

describe("across log segments", () => {
  it("plans and runs over every segment, both modes, and a cancel reaches every segment", {
    timeout: 60_000,
  }, async () => {
    const tenant = await createTenant();
    const a = await ladder({ tenant, path: uniquePath("/ok"), endpoint: { rate_limit_per_s: 1 } });
    const b = await ladder({ tenant, path: uniquePath("/ok") });
    // One event a segment (TENANT_LOG_SEGMENT_MAX_EVENTS=1); B disabled for the first two.
    await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/disable`);
    const small = serviceCtx({ ...env, TENANT_LOG_SEGMENT_MAX_EVENTS: "1" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      if (i === 2) {
        // The queue's consumer fanned the first two out while B was disabled (A's deliveries show it).
        await eventually(
          () => a.deliveries(),
          (list) => list.length === 2,
        );
        await api("POST", `/v1/tenants/${tenant}/endpoints/${b.endpoint.id}/enable`);
      }
      const { event } = await ingestEvent(small, tenant, { type: "seg.x", data: { i } });
      if (i === 2) await fanOut(serviceCtx(env), [{ tenantId: tenant, eventId: event.id, origin: "" }]);
      ids.push(event.id);
    }
    expect(ids.map((id) => id.split(".").at(-1))).toEqual([expect.any(String), "1", "2"]);
    for (let i = 0; i < 3; i++) {
      await a.runAlarm();
      await a.advance(1000);
    }
    await b.runAlarm();

    const missing = await replayCall(tenant, { mode: "missing", since: since(), dry_run: true });
    expect(missing.body).toMatchObject({ total: 2, by_endpoint: [{ endpoint_id: b.endpoint.id, count: 2 }] });
    const ran = await runAndCollect(tenant, { mode: "missing", since: since() }, [a, b]);
    expect(ran.got[1]!.sort()).toEqual(ids.slice(0, 2).sort());

    const plan = await replayCall(tenant, {
      mode: "retry",
      since: since(),
      endpoint_ids: [a.endpoint.id],
      dry_run: true,
    });
    expect(plan.body.total).toBe(3);
    const task = await replayCall(tenant, { mode: "retry", since: since(), endpoint_ids: [a.endpoint.id] });
    expect(task.body.total).toBe(3);
    const before = (await a.received()).length;
    await a.runAlarm(); // one this second (rate limit 1/s)
    expect((await a.received()).length).toBe(before + 1);
    const cancel = await api("POST", `/v1/tasks/${task.body.id}/cancel`);
    expect(cancel.body).toMatchObject({ status: "cancelled", total: 3, done: 3 });
    for (let i = 0; i < 3; i++) {
      await a.advance(5000);
      await a.runAlarm();
    }
    expect((await a.received()).length).toBe(before + 1);
  });
});
