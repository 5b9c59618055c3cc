/**
 * A fan-out larger than one invocation's hand-off budget (HANDOFF_CALLS_PER_INVOCATION dispatcher
 * calls, half the platform's subrequests per invocation) stops between two pages and queues the
 * rest; the next invocation hands over exactly what was left, by the same path. Seen at the bench's
 * 8 events × 1,250 endpoints (10,000 calls in one invocation) before the budget: past the cap the
 * invocation threw, and the sweeper was left to hand over the rest.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FanoutBatchMessage, type FanoutMessages } from "../../src/domain/queue-messages";
import worker from "../../src/index";
import { SUBREQUESTS_PER_INVOCATION } from "../../src/lib/platform-limits";
import { serviceCtx } from "../../src/services/context";
import { fanOutTenant, HANDOFF_CALLS_PER_INVOCATION, HandoffBudget } from "../../src/services/events/fanout";
import { HANDOFF_PAGE_DELIVERIES } from "../../src/tenant-log/handoff-page";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { received, receiverUrl, uniquePath, waitForDistinct } from "../helpers/receiver";
import { logCount, logRows } from "../helpers/tenant-log";

/**
 * 84 events × 12 endpoints: one fanOut call writes 1,008 deliveries (it stops between events past
 * 1,000), handed over in two pages: 1,000 (HANDOFF_PAGE_DELIVERIES), then 8.
 */
const ENDPOINTS = 12;
const EVENTS = 84;
const SECOND_PAGE = EVENTS * ENDPOINTS - HANDOFF_PAGE_DELIVERIES;
const PAYLOAD = JSON.stringify({ n: 1 });

/** A tenant with ENDPOINTS endpoints and EVENTS large events written straight into its log (no queue message of their own). */
async function bigFanout() {
  const tenant = await createTenant();
  const paths = Array.from({ length: ENDPOINTS }, () => uniquePath("/budget"));
  for (const p of paths) await createEndpoint(tenant, { url: receiverUrl(p), event_types: ["bulk.*"] });
  await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
  const stamp = Date.now().toString(36).padStart(10, "0").slice(-10);
  const ids = Array.from({ length: EVENTS }, (_, i) => `evt_${stamp}bud${i.toString().padStart(13, "0")}`);
  for (const id of ids)
    await logRows(
      tenant,
      "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'bulk.item', ?, ?)",
      id,
      tenant,
      PAYLOAD,
      Date.now(),
    );
  return { tenant, paths, requests: ids.map((eventId) => ({ eventId, origin: "" })) };
}

/** The service context with a queue that keeps what the fan-out sends, to hand it to the consumer by hand. */
function capturingCtx() {
  const sent: FanoutMessages[] = [];
  const queue = {
    ...env.EVENTS_QUEUE,
    sendBatch: async (msgs: { body: unknown }[]) =>
      void sent.push(...msgs.map((m) => FanoutBatchMessage.parse(m.body))),
  };
  return { ctx: serviceCtx({ ...env, EVENTS_QUEUE: queue as unknown as Queue }), sent };
}

async function consume(messages: FanoutMessages[]) {
  const batch = createMessageBatch(
    "edgehooks-events",
    messages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("a fan-out past one invocation's hand-off budget", () => {
  it("is half the platform's subrequests per invocation", () => {
    expect(HANDOFF_CALLS_PER_INVOCATION).toBe(SUBREQUESTS_PER_INVOCATION / 2);
  });

  it("hands over the pages it can afford, queues the rest after the last handed delivery, and the consumer delivers each exactly once", async () => {
    const { tenant, paths, requests } = await bigFanout();
    const { ctx, sent } = capturingCtx();
    // The first page is a call to each endpoint: the budget affords it, and nothing more.
    const budget = new HandoffBudget(ENDPOINTS);
    await fanOutTenant(ctx, tenant, requests, budget);
    expect(budget.left).toBe(0);
    expect(await logCount(tenant, "deliveries")).toBe(EVENTS * ENDPOINTS); // the warm-up event matches none

    expect(sent).toHaveLength(1);
    const [resume] = sent;
    expect(resume!.event_ids).toEqual(requests.map((r) => r.eventId));
    expect(resume!.resume_after).toMatch(/^dlv_/);
    const after = await logRows<{ n: number }>(
      tenant,
      `SELECT count(*) AS n FROM deliveries WHERE id > ? AND event_id IN (${requests.map(() => "?").join(",")})`,
      resume!.resume_after!,
      ...requests.map((r) => r.eventId),
    );
    expect(after[0]!.n).toBe(SECOND_PAGE);

    expect((await consume(sent)).explicitAcks).toEqual(["m0"]);
    for (const p of paths) {
      await waitForDistinct(p, EVENTS, 30_000);
      const ids = (await received(p)).map((r) => r.headers["webhook-id"]);
      expect(new Set(ids).size).toBe(ids.length); // none twice
    }
    expect(await logCount(tenant, "dead_letters")).toBe(0);
  }, 90_000);

  it("with nothing left of the budget, writes nothing and queues the events again as they came", async () => {
    const { tenant, paths, requests } = await bigFanout();
    const { ctx, sent } = capturingCtx();
    await fanOutTenant(ctx, tenant, requests, new HandoffBudget(0));
    expect(await logCount(tenant, "deliveries")).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.event_ids).toEqual(requests.map((r) => r.eventId));
    expect(sent[0]!.resume_after).toBeUndefined();

    expect((await consume(sent)).explicitAcks).toEqual(["m0"]);
    for (const p of paths) await waitForDistinct(p, EVENTS, 30_000);
  }, 90_000);

  it("through the real queue: the continuation the budget leaves is consumed and every delivery arrives once", async () => {
    const { tenant, paths, requests } = await bigFanout();
    // A budget for one page: the rest goes by the deployment's own queue to its own consumer.
    await fanOutTenant(serviceCtx(env), tenant, requests, new HandoffBudget(ENDPOINTS));
    for (const p of paths) {
      await waitForDistinct(p, EVENTS, 60_000);
      const ids = (await received(p)).map((r) => r.headers["webhook-id"]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  }, 120_000);
});
