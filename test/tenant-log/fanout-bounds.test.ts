/**
 * The fan-out path bounded by construction: the largest message the TenantLog's sender can build is
 * one its consumer takes; a burst of batches for one tenant is delivered whole, without a sweep;
 * large payloads never make one RPC answer (or one hand-off) larger than the platform accepts; a
 * failed queue send after the commit still answers 202 and the event is delivered later.
 * Counted at the real receiver (test/global-setup.ts).
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  FanoutBatchMessage,
  fanoutMessage,
  MAX_EVENTS_PER_FANOUT_MESSAGE,
  MAX_FANOUT_MESSAGE_BYTES,
} from "../../src/domain/queue-messages";
import worker from "../../src/index";
import { sweepTenant } from "../../src/jobs/sweep";
import { serviceCtx } from "../../src/services/context";
import { fannedOut } from "../../src/tenant-log/fanned-out";
import { FanoutSender } from "../../src/tenant-log/fanout-sender";
import { HANDOFF_PAGE_BYTES, PAYLOAD_PAGE_BYTES } from "../../src/tenant-log/handoff-page";
import type { TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receivedCount, receiverUrl, uniquePath, waitForDistinct } from "../helpers/receiver";
import { logCount, logRows, tenantLogStub } from "../helpers/tenant-log";

const batchOf = (n: number, data: (i: number) => unknown = (i) => ({ i })) => ({
  events: Array.from({ length: n }, (_, i) => ({ type: "bulk.item", data: data(i) })),
});

/** Events written straight into the tenant's log, so only the test's queue message carries them. */
async function storedEvents(tenant: string, n: number): Promise<string[]> {
  await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
  const stamp = Date.now().toString(36).padStart(10, "0").slice(-10);
  const ids = Array.from({ length: n }, (_, i) => `evt_${stamp}big${i.toString().padStart(13, "0")}`);
  for (let i = 0; i < n; i += 25) {
    const part = ids.slice(i, i + 25);
    await logRows(
      tenant,
      `INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES ${part.map(() => "(?, ?, 'bulk.item', '{}', ?)").join(", ")}`,
      ...part.flatMap((id) => [id, tenant, Date.now()]),
    );
  }
  return ids;
}

describe("fan-out messages", () => {
  it("the largest message the sender can build is consumed and delivered, and stays under the queue's 128 KB", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    const ids = await storedEvents(tenant, 600);
    // One send in flight while the rest queue up: the sender merges as much as it may.
    const sent: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const sender = new FanoutSender(async (batch) => {
      sent.push([...batch]);
      if (sent.length === 1) await first;
    });
    const queued = [
      sender.queue(ids.slice(0, 1)),
      ...Array.from({ length: 6 }, (_, k) => sender.queue(ids.slice(1 + k * 99, 1 + (k + 1) * 99))),
    ];
    release();
    await Promise.all(queued);
    const largest = sent.reduce((a, b) => (b.length > a.length ? b : a));
    const body = fanoutMessage(tenant, largest);
    expect(new TextEncoder().encode(JSON.stringify(body)).length).toBeLessThanOrEqual(MAX_FANOUT_MESSAGE_BYTES);

    const batch = createMessageBatch("edgehooks-events", [{ id: "largest", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["largest"]);
    await waitForDistinct(path, largest.length, 30_000);
    expect(await logCount(tenant, "dead_letters")).toBe(0);
  }, 60_000);

  it("the largest body the schema accepts (every field at its bound) is under the queue's 128 KB; one more id is refused", () => {
    const long = (c: string, n: number) => c.repeat(n);
    const ids = Array.from(
      { length: MAX_EVENTS_PER_FANOUT_MESSAGE },
      (_, i) => `${long("e", 60)}${i.toString().padStart(4, "0")}`,
    );
    const body = {
      ...fanoutMessage(long("t", 64), ids, long("o", 80)),
      redrives: Number.MAX_SAFE_INTEGER,
      resume_after: long("d", 64),
    };
    expect(FanoutBatchMessage.safeParse(body).success).toBe(true);
    expect(new TextEncoder().encode(JSON.stringify(body)).length).toBeLessThanOrEqual(MAX_FANOUT_MESSAGE_BYTES);
    expect(FanoutBatchMessage.safeParse({ ...body, event_ids: [...ids, "one-more"] }).success).toBe(false);
    expect(FanoutBatchMessage.safeParse({ ...body, tenant_id: long("t", 65) }).success).toBe(false);
  });

  it("6 concurrent batch posts of 100 events for one tenant are all delivered, without a sweep", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    const posts = await Promise.all(
      Array.from({ length: 6 }, () => api("POST", `/v1/tenants/${tenant}/events/batch`, { body: batchOf(100) })),
    );
    expect(posts.map((p) => p.status)).toEqual([202, 202, 202, 202, 202, 202]);
    const got = await waitForDistinct(path, 600, 60_000);
    expect(got.ids).toBe(600);
  }, 90_000);
});

describe("large payloads", () => {
  it("50 batches × 100 events of 8 KB for one tenant with 3 endpoints: every delivery arrives", async () => {
    const tenant = await createTenant();
    const paths = [uniquePath("/ok"), uniquePath("/ok"), uniquePath("/ok")];
    for (const p of paths) await createEndpoint(tenant, { url: receiverUrl(p), event_types: ["bulk.*"] });
    const pad = "x".repeat(8 * 1024);
    const posts = await Promise.all(
      Array.from({ length: 50 }, (_, b) =>
        api("POST", `/v1/tenants/${tenant}/events/batch`, { body: batchOf(100, (i) => ({ b, i, pad })) }),
      ),
    );
    expect(posts.every((p) => p.status === 202)).toBe(true);
    for (const p of paths) expect((await waitForDistinct(p, 5000, 240_000)).ids).toBe(5000);
    // Nothing stays behind in the log for the sweeper.
    const [left] = await logRows<{ n: number }>(
      tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'",
    );
    expect(left!.n).toBe(0);
  }, 300_000);
});

describe("a failed queue send after the commit", () => {
  it("still answers 202 with the stored event, and the sweeper's path delivers it later", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    const stub = tenantLogStub(tenant);
    // Fault injection on the real object: its queue binding refuses the send.
    await runInDurableObject(stub, (instance: TenantLog) => {
      const real = (instance as unknown as { env: Env }).env;
      (instance as unknown as { env: Env }).env = {
        ...real,
        EVENTS_QUEUE: {
          send: async () => {
            throw new Error("queue unavailable (injected)");
          },
          sendBatch: async () => {
            throw new Error("queue unavailable (injected)");
          },
        } as unknown as Queue,
      };
    });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "bulk.item", data: { n: 1 } } });
    expect(posted.status).toBe(202);
    const read = await api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}`);
    expect(read.status).toBe(200);
    expect((await receivedCount(path)).ids).toBe(0);

    // The queue is back; the path that serves a lost message queues the fan-out again.
    await runInDurableObject(stub, (instance: TenantLog) => {
      (instance as unknown as { env: Env }).env = env;
    });
    const ctx = serviceCtx(env);
    await sweepTenant(ctx, tenant, Date.now() + ctx.config.sweepGraceMs + 1000);
    const got = await waitForDistinct(path, 1, 20_000);
    expect(got.ids).toBe(1);
  });
});

describe("fan-out messages of older code", () => {
  it("a message with more ids than the schema takes (queued by an older sender) is split and delivered, not dead-lettered", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    const ids = await storedEvents(tenant, 450);
    const body = { v: 2, kind: "fanout", tenant_id: tenant, event_ids: ids, origin: "" };
    const batch = createMessageBatch("edgehooks-events", [{ id: "old", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["old"]);
    await waitForDistinct(path, 450, 60_000);
    expect(await logCount(tenant, "dead_letters")).toBe(0);
  }, 90_000);

  it("an oversized message of older code already dead-lettered is kept under its tenant, and its re-drive by hand delivers it", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    const ids = await storedEvents(tenant, 250);
    const body = { v: 2, kind: "fanout", tenant_id: tenant, event_ids: ids, origin: "" };
    const batch = createMessageBatch("edgehooks-events-dlq", [
      { id: "dead", timestamp: new Date(), attempts: 10, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await getQueueResult(batch, ctx);
    const [row] = await logRows<{ id: string }>(tenant, "SELECT id FROM dead_letters");
    expect(row).toBeDefined();
    const redrive = await api("POST", `/v1/tenants/${tenant}/dead-letters/${row!.id}/redrive`);
    expect(redrive.status).toBe(202);
    expect((await waitForDistinct(path, 250, 60_000)).ids).toBe(250);
  }, 90_000);

  it("a fan-out message that fails the schema is kept as a dead letter of the tenant it names, not the operator's", async () => {
    const tenant = await createTenant();
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    const body = { v: 2, kind: "fanout", tenant_id: tenant, event_ids: [42], origin: "" };
    const batch = createMessageBatch("edgehooks-events", [{ id: "bad", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["bad"]);
    const rows = await logRows<{ kind: string; body: string }>(tenant, "SELECT kind, body FROM dead_letters");
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.body)).toEqual(body);
  });
});

/** Events of `bytes`-long payloads with one delivery each to `endpointId`, written straight into the log. */
async function largeDeliveries(
  tenant: string,
  endpointId: string,
  n: number,
  bytes: number,
  status: "failed" | "pending",
  createdAt: number,
) {
  await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
  const stamp = Date.now().toString(36).padStart(10, "0").slice(-10);
  const payload = JSON.stringify("x".repeat(bytes - 2));
  const events: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `evt_${stamp}lrg${i.toString().padStart(13, "0")}`;
    await logRows(
      tenant,
      "INSERT INTO events (id, tenant_id, type, payload, created_at, fanned_out_at) VALUES (?, ?, 'bulk.item', ?, ?, ?)",
      id,
      tenant,
      payload,
      createdAt,
      createdAt,
    );
    await logRows(
      tenant,
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'bulk.item', '', ?, ?, ?, ?)`,
      `dlv_${stamp}lrg${i.toString().padStart(13, "0")}`,
      tenant,
      id,
      endpointId,
      status,
      status === "failed" ? 1 : 0,
      createdAt,
      createdAt,
    );
    events.push(id);
  }
  return events;
}

const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

describe("pages bounded in bytes", () => {
  it("recover of 40 failed deliveries with 900 KB payloads hands them over in bounded pages, and all arrive", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path), event_types: ["bulk.*"] });
    await largeDeliveries(tenant, ep.id, 40, 900_000, "failed", Date.now() - 60_000);
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/recover`, {
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
    });
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(40);
    expect((await waitForDistinct(path, 40, 120_000)).ids).toBe(40);
  }, 180_000);

  it("the sweeper's orphans and a dispatcher's payload read answer at most their byte bounds", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")), event_types: ["none.*"] });
    const ids = await largeDeliveries(tenant, ep.id, 40, 900_000, "pending", Date.now() - 3600_000);
    const stub = tenantLogStub(tenant);
    const orphans = await stub.orphans(Date.now(), 500, [ep.id]);
    expect(orphans.deliveries.length).toBeGreaterThan(0);
    expect(jsonBytes(orphans)).toBeLessThanOrEqual(HANDOFF_PAGE_BYTES);
    // Payloads by id, page after page: each page within its bound, and all of them in the end.
    const seen = new Set<string>();
    for (let rest = ids; rest.length; ) {
      const page = await stub.payloads(rest);
      expect(page.covered).toBeGreaterThan(0);
      expect(jsonBytes(page)).toBeLessThanOrEqual(PAYLOAD_PAGE_BYTES + 64 * 1024);
      for (const id of Object.keys(page.payloads)) seen.add(id);
      rest = rest.slice(page.covered);
    }
    expect(seen.size).toBe(40);
  }, 120_000);
});

describe("filters over large payloads", () => {
  it("12 events of 900 KB in one message, an endpoint with a filter: matched a few MiB per call, each match delivered once", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      event_types: ["bulk.*"],
      filter: { "data.keep": true },
    });
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "warm.up", data: {} } }); // the log exists
    const stamp = Date.now().toString(36).padStart(10, "0").slice(-10);
    const ids = Array.from({ length: 12 }, (_, i) => `evt_${stamp}flt${i.toString().padStart(13, "0")}`);
    for (const [i, id] of ids.entries()) {
      const payload = JSON.stringify({ keep: i % 2 === 0, pad: "x".repeat(900_000) });
      await logRows(
        tenant,
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'bulk.item', ?, ?)",
        id,
        tenant,
        payload,
        Date.now(),
      );
    }
    const batch = createMessageBatch("edgehooks-events", [
      { id: "big", timestamp: new Date(), attempts: 1, body: fanoutMessage(tenant, ids) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["big"]);
    const got = await waitForDistinct(path, 6, 60_000);
    expect(got.ids).toBe(6);
    const rows = await logRows<{ n: number }>(
      tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id = ?",
      ep.id,
    );
    expect(rows[0]!.n).toBe(6);
    const [unfanned] = await logRows<{ n: number }>(
      tenant,
      `SELECT COUNT(*) AS n FROM events WHERE NOT ${fannedOut("events", false)} AND id LIKE ?`,
      `evt_${stamp}flt%`,
    );
    expect(unfanned!.n).toBe(0);
  }, 90_000);
});
