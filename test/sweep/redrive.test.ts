/**
 * Nothing the pipeline hands over is stranded: a recover whose hand-off to the dispatcher fails, a
 * fan-out whose deliveries were written but never handed over, and a dead-lettered resend are all
 * re-driven by the sweeper; operators can list and re-drive dead letters by hand. The failing
 * hand-off is the real dispatcher binding behind a wrapper that refuses `enqueue`, as an overloaded
 * or unreachable Durable Object would.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { recoverEndpoint } from "../../src/services/recover";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { received, receiverUrl, script, uniquePath, waitForReceived } from "../helpers/receiver";

/** The env with a dispatcher namespace whose stubs refuse every hand-off. */
function refusingHandOff(): Env {
  const namespace = {
    getByName(name: string) {
      const real = env.DISPATCHER.getByName(name);
      return new Proxy(real, {
        get(target, prop) {
          if (prop === "enqueue") return async () => Promise.reject(new Error("dispatcher unavailable"));
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
  };
  return { ...env, DISPATCHER: namespace as unknown as Env["DISPATCHER"] };
}

const LATER = 30 * 60_000;

/**
 * A tenant whose event was delivered once, and a resend of it that exhausted its queue retries:
 * the dead-letter queue's consumer takes it in. Answers the tenant, the receiver path and whether
 * that consumer acked the message.
 */
async function deadLetteredResend(messageId: string, origin: string) {
  const tenant = await createTenant();
  const path = uniquePath("/ok");
  await createEndpoint(tenant, { url: receiverUrl(path) });
  const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
  await waitForReceived(path, 1);
  const batch = createMessageBatch("edgehooks-events-dlq", [
    {
      id: messageId,
      timestamp: new Date(),
      attempts: 11,
      body: { v: 2, kind: "fanout", tenant_id: tenant, event_ids: [posted.body.id], origin },
    },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return { tenant, path, acked: (await getQueueResult(batch, ctx)).ackAll };
}

describe("recover is resumable", () => {
  it("a failed hand-off strands nothing: the deliveries stay failed and the sweeper finishes the task", async () => {
    const path = uniquePath("/scripted");
    await script(path, Array(4).fill({ status: 500 }));
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] } } });
    const ids = [await l.post({ type: "a.b", data: { n: 1 } }), await l.post({ type: "a.b", data: { n: 2 } })];
    await l.runAlarm();
    await l.advance(1000);
    await l.runAlarm();
    expect((await l.deliveries()).map((d) => d.status)).toEqual(["failed", "failed"]);

    const since = Date.now() - 3600_000;
    const task = await recoverEndpoint(serviceCtx(refusingHandOff()), l.tenant, l.endpoint.id, { since }).catch(
      () => null,
    );
    // Nothing was handed over, so nothing may claim to be on its way.
    expect((await l.deliveries()).map((d) => d.status)).toEqual(["failed", "failed"]);
    expect((await l.inspect()).pending).toHaveLength(0);

    await sweepTenant(serviceCtx(env), l.tenant, Date.now() + LATER);
    expect((await l.inspect()).pending.map((p) => p.trigger)).toEqual(["recover", "recover"]);
    await l.runAlarm();
    const after = await l.deliveries();
    expect(after.map((d) => d.status)).toEqual(["succeeded", "succeeded"]);
    expect(new Set((await l.received()).slice(-2).map((r) => r.headers["webhook-id"]))).toEqual(new Set(ids));
    if (task)
      expect((await api("GET", `/v1/tasks/${task.id}`)).body).toMatchObject({ total: 2, done: 2, status: "completed" });
  });
});

describe("the sweeper re-drives what a failure left behind", () => {
  it("a delivery written but never handed to its dispatcher is sent", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path) });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    // The queue's own fan-out may win the race; the orphan is made by a run whose hand-off fails.
    await fanOut(serviceCtx(refusingHandOff()), [
      { tenantId: tenant, eventId: posted.body.id, origin: "resend:dlv_orphan" },
    ]).catch(() => undefined);
    await waitForReceived(path, 1);
    await sweepTenant(serviceCtx(env), tenant, Date.now() + LATER);
    const got = await waitForReceived(path, 2);
    expect(got.every((r) => r.headers["webhook-id"] === posted.body.id)).toBe(true);
    const deliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
      (r) => r.body.data.length === 2 && r.body.data.every((d: { status: string }) => d.status === "succeeded"),
    );
    expect(deliveries.body.data).toHaveLength(2);
  });

  it("a dead-lettered resend is queued again and delivered", async () => {
    const { tenant, path, acked } = await deadLetteredResend("r1", "resend:dlv_deadletter");
    expect(acked).toBe(true);
    await sweepTenant(serviceCtx(env), tenant, Date.now() + LATER);
    await waitForReceived(path, 2);
    expect(await received(path)).toHaveLength(2);
  });
});

describe("operator dead-letter route", () => {
  it("lists a tenant's dead letters and re-drives them, root key only", async () => {
    const { tenant, path } = await deadLetteredResend("o1", "resend:dlv_operator");

    const list = await api("GET", `/v1/tenants/${tenant}/dead-letters`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ queue: "edgehooks-events-dlq", attempts: 11, kind: "fanout" });
    expect(list.body.next_cursor).toBeNull();

    const keyRes = await api("POST", "/v1/api-keys", { body: { name: "admin", scopes: ["admin"] } });
    const denied = await api("GET", `/v1/tenants/${tenant}/dead-letters`, { key: keyRes.body.key });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("forbidden");
    const badCursor = await api("GET", `/v1/tenants/${tenant}/dead-letters?cursor=%%%`);
    expect(badCursor.status).toBe(400);
    const unknown = await api("POST", `/v1/tenants/${tenant}/dead-letters/dlq_01jd0000000000000000000000/redrive`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("not_found");

    const redrivePath = `/v1/tenants/${tenant}/dead-letters/${list.body.data[0].id}/redrive`;
    // A non-root key, even an unrestricted admin one, is refused in the envelope.
    const forbidden = await api("POST", redrivePath, { key: keyRes.body.key });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe("forbidden");

    const redriven = await api("POST", redrivePath);
    expect(redriven.status).toBe(202);
    await waitForReceived(path, 2);
    expect((await api("GET", `/v1/tenants/${tenant}/dead-letters`)).body.data).toHaveLength(0);
    // Re-driving it again is a conflict, and queues nothing.
    const again = await api("POST", redrivePath);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    expect(again.body.error.message).toMatch(/already re-driven/);
    // The sweeper does not pick it up again either.
    expect((await sweepTenant(serviceCtx(env), tenant, Date.now() + LATER)).redriven).toBe(0);
    expect(await received(path)).toHaveLength(2);
  });

  it("a tenant that does not exist answers 404 on both routes; the operator's log is always there", async () => {
    for (const [method, p] of [
      ["GET", "/v1/tenants/org_no_such_tenant/dead-letters"],
      ["POST", "/v1/tenants/org_no_such_tenant/dead-letters/dlq_01jd0000000000000000000000/redrive"],
    ] as const) {
      const res = await api(method, p);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    expect((await api("GET", "/v1/tenants/_operator/dead-letters")).status).toBe(200);
  });
});
