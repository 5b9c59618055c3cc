/**
 * A client generated from the served document (sdk/openapi.json, kept equal to GET /openapi.json
 * by openapi-snapshot.test.ts; openapi-typescript writes sdk/src/schema.gen.ts) calls every
 * operation with a real body. `npm test` typechecks this file against the generated types before
 * running it, so a schema the server accepts but the document types differently (a filter, a
 * nullable PATCH field, a batch item) fails the run. Each answer must be the documented 2xx.
 */
import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import createClient from "openapi-fetch";
import { beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../../sdk/src/schema.gen";
import { tenantLogFor } from "../../src/tenant-log/client";
import { api, ROOT_KEY, uniqueTenantId } from "../helpers/api";
import { receiverUrl, uniquePath } from "../helpers/receiver";

const client = createClient<paths>({
  baseUrl: "http://edgehooks.test",
  headers: { authorization: `Bearer ${ROOT_KEY}` },
  fetch: (request) => SELF.fetch(request),
});

/** Which operation each answered request was, by matching the document's paths. */
const answered = new Map<string, number>();
let doc: { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

function operationOf(method: string, url: string): string | undefined {
  const path = new URL(url).pathname;
  for (const [template, ops] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
    if (re.test(path)) return ops[method.toLowerCase()]?.operationId;
  }
  return undefined;
}

client.use({
  onResponse({ request, response }) {
    const id = operationOf(request.method, request.url);
    if (id) answered.set(id, response.status);
  },
});

beforeAll(async () => {
  doc = (await api("GET", "/openapi.json", { key: null })).body;
});

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("condition not met");
}

describe("a client generated from /openapi.json", () => {
  it("calls every operation with a real body and gets the documented answer", async () => {
    const tenant_id = uniqueTenantId();
    const t = { tenant_id };
    expect(
      (await client.POST("/v1/tenants", { body: { id: tenant_id, name: "Acme", metadata: { plan: "pro" } } })).response
        .status,
    ).toBe(201);
    await client.GET("/v1/tenants", { params: { query: { limit: 5 } } });
    await client.GET("/v1/tenants/{tenant_id}", { params: { path: t } });
    await client.PATCH("/v1/tenants/{tenant_id}", { params: { path: t }, body: { name: "Acme Corp" } });

    const name = `order.placed${Date.now().toString(36)}`;
    await client.POST("/v1/event-types", {
      body: {
        name,
        description: "An order",
        schema: { type: "object", properties: { total: { type: "number" } } },
        example: { total: 1 },
      },
    });
    await client.GET("/v1/event-types", { params: { query: {} } });
    await client.GET("/v1/event-types/{name}", { params: { path: { name } } });
    await client.PATCH("/v1/event-types/{name}", {
      params: { path: { name } },
      body: { schema: null, deprecated: false },
    });

    // The README's filter, patterns, auth and a custom schedule, exactly as a producer writes them.
    const created = await client.POST("/v1/tenants/{tenant_id}/endpoints", {
      params: { path: t },
      body: {
        url: receiverUrl(uniquePath()),
        event_types: ["order.*", "job.completed", "*"],
        channels: ["parser_123"],
        filter: {
          "data.total_amount": { $gte: 1000 },
          $or: [{ "data.tier": "pro" }, { "data.tags": { $in: ["vip", 3, null] } }],
        },
        headers: { "X-Customer": "acme" },
        auth: { type: "header", name: "X-Webhook-Token", value: "s3cr3t" },
        signature: { scheme: "hmac-sha256-hex", header: "X-Signature", prefix: "sha256=" },
        envelope: "standard",
        retry_policy: { schedule_s: [1, 60] },
        rate_limit_per_s: 10,
        max_in_flight: 5,
        timeout_ms: 5000,
        metadata: { team: "billing" },
      },
    });
    const endpoint_id = created.data!.id;
    const e = { tenant_id, endpoint_id };
    await client.GET("/v1/tenants/{tenant_id}/endpoints", {
      params: { path: t, query: { status: "active", event_type: "order.placed" } },
    });
    await client.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: e } });
    // Every nullable field back to "none / the deployment default".
    const patched = await client.PATCH("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", {
      params: { path: e },
      body: {
        filter: null,
        event_types: null,
        channels: null,
        auth: null,
        signature: null,
        retry_policy: null,
        rate_limit_per_s: null,
        max_in_flight: null,
      },
    });
    expect(patched.data).toMatchObject({
      filter: null,
      event_types: null,
      auth: null,
      signature: { scheme: "standard" },
    });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/disable", { params: { path: e } });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/enable", { params: { path: e } });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test", {
      params: { path: e },
      body: { event_type: "order.test", data: { total: 1 } },
    });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test-filter", {
      params: { path: e },
      body: { data: { total_amount: 5 }, type: "order.placed", channels: ["x"] },
    });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret", {
      params: { path: e },
      body: { grace_period_s: 60 },
    });
    await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret/commit", { params: { path: e } });
    await client.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret", { params: { path: e } });
    await client.POST("/v1/tenants/{tenant_id}/test-url", {
      params: { path: t },
      body: { url: receiverUrl(uniquePath()), event_type: "order.test", data: { total: 1 }, timeout_ms: 5000 },
    });
    await client.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats", {
      params: { path: e, query: { since: "2026-01-01T00:00:00Z" } },
    });
    await client.GET("/v1/tenants/{tenant_id}/stats", { params: { path: t, query: {} } });

    const event = await client.POST("/v1/tenants/{tenant_id}/events", {
      params: { path: t, header: { "idempotency-key": `k-${tenant_id}` } },
      body: {
        type: name,
        data: { total: 1500, items: [{ sku: "a" }] },
        channels: ["parser_123"],
        ordering_key: "order-1",
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      },
    });
    const event_id = event.data!.id;
    const batch = await client.POST("/v1/tenants/{tenant_id}/events/batch", {
      params: { path: t },
      body: {
        events: [
          { type: "job.completed", data: [1, "two", null] },
          { type: "job.completed", data: "text", id: "batch-1", deliver_at: "2026-01-01T00:00:00Z" },
        ],
      },
    });
    expect(batch.data!.data).toHaveLength(2);
    await client.GET("/v1/tenants/{tenant_id}/events", {
      params: { path: t, query: { type: name, channel: "parser_123", since: "2026-01-01T00:00:00Z" } },
    });
    await client.GET("/v1/tenants/{tenant_id}/events/{event_id}", { params: { path: { tenant_id, event_id } } });
    const deliveries = await until(
      () =>
        client.GET("/v1/tenants/{tenant_id}/events/{event_id}/deliveries", {
          params: { path: { tenant_id, event_id } },
        }),
      (r) => (r.data?.data.length ?? 0) > 0,
    );
    const delivery_id = deliveries.data!.data[0]!.id;
    const d = { tenant_id, delivery_id };
    await client.POST("/v1/tenants/{tenant_id}/events/{event_id}/resend", {
      params: { path: { tenant_id, event_id } },
    });
    await client.GET("/v1/tenants/{tenant_id}/deliveries", {
      params: { path: t, query: { endpoint_id, status: "succeeded", status_code_class: "2xx" } },
    });
    await client.GET("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", { params: { path: d } });
    await client.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry", { params: { path: d } });
    const attempts = await client.GET("/v1/tenants/{tenant_id}/attempts", {
      params: { path: t, query: { delivery_id } },
    });
    await client.GET("/v1/tenants/{tenant_id}/attempts/{attempt_id}", {
      params: { path: { tenant_id, attempt_id: attempts.data!.data[0]!.id } },
    });
    const task = await client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover", {
      params: { path: e },
      body: { since: "2026-01-01T00:00:00Z" },
    });
    await client.GET("/v1/tasks/{task_id}", { params: { path: { task_id: task.data!.id } } });
    const recent = new Date(Date.now() - 3600_000).toISOString();
    const replayBody = {
      mode: "retry" as const,
      endpoint_ids: [endpoint_id],
      event_types: [name],
      statuses: ["succeeded" as const],
      status_class: "2xx" as const,
      since: recent,
    };
    const plan = await client.POST("/v1/tenants/{tenant_id}/replays", {
      params: { path: t },
      body: { ...replayBody, dry_run: true },
    });
    expect(plan.response.status).toBe(200);
    const replayTask = await client.POST("/v1/tenants/{tenant_id}/replays", { params: { path: t }, body: replayBody });
    expect(replayTask.response.status).toBe(202);
    await client.POST("/v1/tasks/{task_id}/cancel", {
      params: { path: { task_id: (replayTask.data as { id: string }).id } },
    });
    // A delivery not yet final, to cancel: one held for later.
    const later = await client.POST("/v1/tenants/{tenant_id}/events", {
      params: { path: t },
      body: { type: name, data: {}, deliver_at: new Date(Date.now() + 86_400_000).toISOString() },
    });
    const held = await until(
      () =>
        client.GET("/v1/tenants/{tenant_id}/events/{event_id}/deliveries", {
          params: { path: { tenant_id, event_id: later.data!.id } },
        }),
      (r) => (r.data?.data.length ?? 0) > 0,
    );
    await client.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/cancel", {
      params: { path: { tenant_id, delivery_id: held.data!.data[0]!.id } },
    });

    // A dead letter of this tenant (what the DLQ consumer records), listed and re-driven.
    const dead_letter_id = `dlq_${Date.now().toString(36).padStart(26, "0")}`.slice(0, 30);
    await tenantLogFor(env, tenant_id).addDeadLetters([
      {
        id: dead_letter_id,
        queue: "edgehooks-events",
        kind: "fanout",
        body: JSON.stringify({ v: 2, kind: "fanout", tenant_id, event_ids: [event_id], origin: "" }),
        attempts: 10,
        redrives: 0,
        createdAt: Date.now(),
        redrivenAt: null,
      },
    ]);
    await client.GET("/v1/tenants/{tenant_id}/dead-letters", { params: { path: t, query: { limit: 10 } } });
    await client.POST("/v1/tenants/{tenant_id}/dead-letters/{dead_letter_id}/redrive", {
      params: { path: { tenant_id, dead_letter_id } },
    });

    const session = await client.POST("/v1/tenants/{tenant_id}/portal-sessions", {
      params: { path: t },
      body: { expires_in_s: 600, read_only: true },
    });
    await client.DELETE("/v1/tenants/{tenant_id}/portal-sessions/{session_id}", {
      params: { path: { tenant_id, session_id: session.data!.id } },
    });
    const key = await client.POST("/v1/api-keys", { body: { name: "billing", scopes: ["ingest", "read"], tenant_id } });
    await client.GET("/v1/api-keys", { params: { query: { limit: 100 } } });
    await client.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: key.data!.id } } });

    const metrics = await client.GET("/metrics", { parseAs: "text" });
    expect(metrics.data).toContain("edgehooks_rows_written_total");
    await client.DELETE("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { params: { path: e } });
    await client.DELETE("/v1/event-types/{name}", { params: { path: { name } } });
    await client.DELETE("/v1/tenants/{tenant_id}", { params: { path: t } });

    const wrong: string[] = [];
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        const documented = Object.keys(op.responses)
          .filter((s) => s.startsWith("2"))
          .map(Number);
        const status = answered.get(op.operationId);
        if (status === undefined) wrong.push(`${op.operationId}: never called`);
        else if (!documented.includes(status))
          wrong.push(`${op.operationId}: answered ${status}, documents ${documented.join("/")}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
