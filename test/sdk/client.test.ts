/**
 * The SDK against the running service: its resource helpers, the pagination iterators, errors in
 * the envelope's words, and verifyWebhook on real deliveries the test receiver got.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { collect, Edgehooks, EdgehooksError, verifyWebhook, WebhookVerificationError } from "../../sdk/src/index";
import { ROOT_KEY, uniqueTenantId } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const eh = new Edgehooks({ baseUrl: "http://edgehooks.test/", apiKey: ROOT_KEY, fetch: (r) => SELF.fetch(r) });

describe("SDK client", () => {
  it("creates a tenant and an endpoint, sends an event and reads its delivery and attempts", async () => {
    const tenant = await eh.tenants.create({ id: uniqueTenantId(), name: "SDK" });
    expect((await eh.tenants.get(tenant.id)).name).toBe("SDK");
    const path = uniquePath();
    const endpoint = await eh.endpoints.create(tenant.id, {
      url: receiverUrl(path),
      event_types: ["job.*"],
      filter: { "data.pages": { $gte: 1 } },
    });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const event = await eh.events.send(
      tenant.id,
      { type: "job.completed", data: { pages: 3 } },
      { idempotencyKey: "job-1" },
    );
    const again = await eh.events.send(
      tenant.id,
      { type: "job.completed", data: { pages: 3 } },
      { idempotencyKey: "job-1" },
    );
    expect(again.id).toBe(event.id);
    const [hit] = await waitForReceived(path);
    expect(hit!.headers["webhook-id"]).toBe(event.id);
    let delivery: { id: string; status: string } | undefined;
    for (let i = 0; i < 200; i++) {
      delivery = (await eh.deliveries.list(tenant.id, { event_id: event.id })).data[0];
      if (delivery?.status === "succeeded") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(delivery?.status).toBe("succeeded");
    const detail = await eh.deliveries.get(tenant.id, delivery!.id);
    expect(detail.attempts.map((a) => a.status_code)).toEqual([200]);
    const session = await eh.portalSessions.create(tenant.id, { read_only: true });
    expect(session.url).toMatch(/^http:\/\/edgehooks\.test\/portal/);
    expect(await eh.portalSessions.revoke(tenant.id, session.id)).toBeUndefined();
    await eh.tenants.delete(tenant.id);
    await expect(eh.tenants.get(tenant.id)).rejects.toMatchObject({ status: 404, code: "not_found" });
  });

  it("iterators follow next_cursor across pages and stop at the end", async () => {
    const tenant = await eh.tenants.create({ name: "Pages" });
    const sent = await eh.events.sendBatch(
      tenant.id,
      Array.from({ length: 7 }, (_, i) => ({ type: "page.item", data: { i } })),
    );
    const ids = sent.data.map((r) => ("id" in r ? r.id : null));
    const seen = (await collect(eh.events.iterate(tenant.id, { limit: 3 }))).map((e) => e.id);
    expect(seen).toEqual([...ids].reverse()); // newest first, every one once
    expect(await collect(eh.events.iterate(tenant.id, { limit: 100 }), 2)).toHaveLength(2);
    const first = await eh.events.list(tenant.id, { limit: 3 });
    expect(first.next_cursor).not.toBeNull();
  });

  it("throws EdgehooksError with the envelope's code, message, issues and request id", async () => {
    const error = await eh.endpoints
      .create("org_nope", { url: "ftp://x", event_type: ["a"] } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgehooksError);
    const e = error as EdgehooksError;
    expect(e).toMatchObject({ status: 400, code: "bad_request" });
    expect(e.requestId).toMatch(/^req_/);
    expect(e.issues.map((i) => i.path)).toContain("event_type");
    expect(e.describe()).toContain(`(request ${e.requestId})`);
    expect(e.describe()).toContain("event_type: unknown field 'event_type'");
    const bad = new Edgehooks({ baseUrl: "http://edgehooks.test", apiKey: "ek_wrong", fetch: (r) => SELF.fetch(r) });
    await expect(bad.tenants.list()).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });
});

describe("verifyWebhook", () => {
  it("verifies a real standard delivery and refuses a tampered body or a wrong secret", async () => {
    const tenant = await eh.tenants.create({ name: "Verify" });
    const path = uniquePath();
    const endpoint = await eh.endpoints.create(tenant.id, { url: receiverUrl(path) });
    await eh.events.send(tenant.id, { type: "job.completed", data: { ok: true } });
    const [hit] = await waitForReceived(path);
    const payload = await verifyWebhook<{ data: unknown }>({
      payload: hit!.body,
      headers: hit!.headers,
      secret: endpoint.secret,
    });
    expect(payload.data).toEqual({ ok: true });
    await expect(
      verifyWebhook({ payload: hit!.body.replace("true", "false"), headers: hit!.headers, secret: endpoint.secret }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
    await expect(
      verifyWebhook({
        payload: hit!.body,
        headers: hit!.headers,
        secret: `whsec_${btoa("another secret of 24 bytes")}`,
      }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
    await expect(verifyWebhook({ payload: hit!.body, headers: {}, secret: endpoint.secret })).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });

  it("verifies a real hex-profile delivery (prefix included) and refuses a wrong one", async () => {
    const tenant = await eh.tenants.create({ name: "Hex" });
    const path = uniquePath();
    const signature = { scheme: "hmac-sha256-hex" as const, header: "X-Signature", prefix: "sha256=" };
    const endpoint = await eh.endpoints.create(tenant.id, { url: receiverUrl(path), signature });
    await eh.events.send(tenant.id, { type: "job.completed", data: { n: 1 } });
    const [hit] = await waitForReceived(path);
    expect(hit!.headers["x-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    const headers = new Headers(hit!.headers);
    expect(await verifyWebhook({ payload: hit!.body, headers, secret: endpoint.secret, signature })).toMatchObject({
      data: { n: 1 },
    });
    const flipped = hit!.headers["x-signature"]!.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    await expect(
      verifyWebhook({ payload: hit!.body, headers: { "x-signature": flipped }, secret: endpoint.secret, signature }),
    ).rejects.toThrow("no matching signature");
    await expect(
      verifyWebhook({
        payload: hit!.body,
        headers,
        secret: endpoint.secret,
        signature: { ...signature, prefix: "v1=" },
      }),
    ).rejects.toThrow("does not start");
    await expect(
      verifyWebhook({ payload: `${hit!.body} `, headers, secret: endpoint.secret, signature }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it("plans a replay, runs it and reads its progress; cancelling a finished task leaves it as it is", async () => {
    const tenant = await eh.tenants.create({ name: "Replay" });
    const path = uniquePath();
    const endpoint = await eh.endpoints.create(tenant.id, { url: receiverUrl(path) });
    await eh.events.send(tenant.id, { type: "job.completed", data: { n: 1 } });
    await eh.events.send(tenant.id, { type: "job.failed", data: { n: 2 } });
    await waitForReceived(path, 2);
    for (let i = 0; i < 200; i++) {
      const list = (await eh.deliveries.list(tenant.id, { endpoint_id: endpoint.id, status: "succeeded" })).data;
      if (list.length === 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const filter = {
      mode: "retry" as const,
      event_types: ["job.completed"],
      since: new Date(Date.now() - 3600_000).toISOString(),
    };
    const plan = await eh.replays.plan(tenant.id, filter);
    expect(plan).toMatchObject({
      total: 1,
      by_endpoint: [{ endpoint_id: endpoint.id, count: 1 }],
      by_status: { succeeded: 1 },
      truncated: false,
    });
    const task = await eh.replays.start(tenant.id, filter);
    expect(task).toMatchObject({ kind: "replay", total: 1 });
    const hits = await waitForReceived(path, 3);
    expect(hits.filter((h) => JSON.parse(h.body).type === "job.completed")).toHaveLength(2);
    let progress = await eh.tasks.get(task.id);
    for (let i = 0; i < 200 && progress.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 25));
      progress = await eh.tasks.get(task.id);
    }
    expect(progress).toMatchObject({ status: "completed", done: 1 });
    expect(await eh.tasks.cancel(task.id)).toMatchObject({ status: "completed", done: 1 });
    await expect(eh.replays.plan(tenant.id, { ...filter, statuses: ["pending" as "failed"] })).rejects.toBeInstanceOf(
      EdgehooksError,
    );
  });
});
