/**
 * Deliveries found by event without an index for the event's own fan-out
 * (src/tenant-log/event-deliveries.ts): its deliveries' ids are made from event and endpoint, sort
 * beside the event, and a repeat of the fan-out conflicts on them; resends keep their own index.
 * A log that held deliveries before keeps its deliveries_origin index and reads through it.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/durable-sqlite";
import { describe, expect, it } from "vitest";
import { newId, placementOf, shardOf, withPlacement } from "../../src/db/ids";
import { serviceCtx } from "../../src/services/context";
import { fanOut } from "../../src/services/events/fanout";
import { eventParams, fanOutDeliveryIds, ofEventSql } from "../../src/tenant-log/event-deliveries";
import { migrationsUpTo } from "../../src/tenant-log/migrations";
import { dropAllTables, migrateTenantLog, type TenantLog } from "../../src/tenant-log/tenant-log";
import { api, createEndpoint, createTenant, eventually, uniqueTenantId } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, uniquePath } from "../helpers/receiver";
import { logRows, tenantLogStub } from "../helpers/tenant-log";

const indexes = async (tenant: string) =>
  (
    await logRows<{ name: string }>(
      tenant,
      "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'deliveries_%' ORDER BY name",
    )
  ).map((r) => r.name);

describe("an event's deliveries, found by their ids", () => {
  it("ids are the same for the same event and endpoint, distinct per endpoint, in the event's place, and keep its order", () => {
    const t = Date.now();
    const [a, b] = [newId("evt", t), newId("evt", t)]; // one isolate, one millisecond: b counts up from a
    const endpoints = Array.from({ length: 300 }, (_, i) => `ep_${String(i).padStart(26, "0")}`);
    const ofA = fanOutDeliveryIds(a, endpoints);
    expect(new Set(ofA.values()).size).toBe(300);
    expect(fanOutDeliveryIds(a, [...endpoints].reverse())).toEqual(ofA);
    const ofB = fanOutDeliveryIds(b, endpoints.slice(0, 3));
    expect([...ofA.values()].every((id) => id < [...ofB.values()].sort()[0]!)).toBe(true);
    for (const id of ofA.values()) expect(id.slice(4, 14)).toBe(a.slice(4, 14));
    const placed = withPlacement(a, 7, 2);
    const inPlace = fanOutDeliveryIds(placed, endpoints.slice(0, 1)).get(endpoints[0]!)!;
    expect([placementOf(inPlace), shardOf(inPlace)]).toEqual([7, 2]);
  });

  it("a new log keeps no index by event for its own fan-out; a repeated fan-out adds nothing; resends are found beside", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const eventId = await l.post({ type: "a.b", data: {} });
    await fanOut(serviceCtx(env), [{ tenantId: l.tenant, eventId, origin: "" }]); // again: a repeat
    expect(await indexes(l.tenant)).toEqual([
      "deliveries_endpoint",
      "deliveries_other_origin",
      "deliveries_retrying",
      "deliveries_task",
    ]);
    const [own] = await l.deliveries(eventId);
    expect(own.id).toBe(fanOutDeliveryIds(eventId, [l.endpoint.id]).get(l.endpoint.id));
    expect(await l.deliveries()).toHaveLength(1);
    const resent = await api("POST", `/v1/tenants/${l.tenant}/events/${eventId}/resend`);
    expect(resent.status).toBe(202);
    // The resend's fan-out runs from the queue.
    const listed = await eventually(
      () => api("GET", `/v1/tenants/${l.tenant}/events/${eventId}/deliveries`),
      (r) => r.body.data.length === 2,
    );
    expect(listed.body.data.map((d: { id: string }) => d.id)).toContain(own.id);
  });

  it("each form reads through an index, never a scan of the deliveries", async () => {
    const tenant = await createTenant();
    await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    const plans = await runInDurableObject(tenantLogStub(tenant), (_i: TenantLog, state) => {
      const plan = (q: string, ...p: SqlStorageValue[]) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${q}`, ...p)
          .toArray()
          .map((r) => r.detail)
          .join(" | ");
      const e = posted.body.id as string;
      return [
        plan(`SELECT * FROM deliveries d WHERE ${ofEventSql("d", "?", false)}`, ...eventParams(e, false)),
        plan(`SELECT * FROM deliveries d WHERE ${ofEventSql("d", "?", false, true)}`, ...eventParams(e, false, true)),
        plan(
          `SELECT e.id FROM events e WHERE EXISTS (SELECT 1 FROM deliveries t WHERE ${ofEventSql("t", "e.id", false)})`,
        ),
      ];
    });
    for (const p of plans) {
      expect(p).not.toMatch(/SCAN (d|t|o)\b/);
      expect(p).toMatch(/PRIMARY KEY \(id>\? AND id<\?\)/);
    }
    expect(plans[0]).toMatch(/deliveries_other_origin/);
  });

  it("a log that held deliveries before (version 11) keeps deliveries_origin; its deliveries are found and a repeat is refused", async () => {
    const tenant = uniqueTenantId("byev");
    const stub = tenantLogStub(tenant);
    const event = "evt_01jd00000000000000000000e1";
    const old = "dlv_01jd00000000000000000000e1";
    await runInDurableObject(stub, async (_i: TenantLog, state) => {
      dropAllTables(state.storage.sql);
      await migrateTenantLog(drizzle(state.storage), migrationsUpTo(11));
      state.storage.sql.exec(
        "INSERT INTO events (id, tenant_id, type, payload, created_at) VALUES (?, ?, 'a.b', '{}', 1)",
        event,
        tenant,
      );
      state.storage.sql.exec(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, attempt_count, created_at, updated_at)
         VALUES (?, ?, ?, 'ep_1', 'a.b', '', 'succeeded', 1, 1, 1)`,
        old,
        tenant,
        event,
      );
    });
    await evictDurableObject(stub);
    expect(await stub.getEvent(event)).toMatchObject({ fannedOutAt: 1 });
    expect(await indexes(tenant)).toContain("deliveries_origin");
    expect((await stub.listDeliveries({ eventId: event, limit: 10 })).map((d) => d.id)).toEqual([old]);
    const step = await stub.fanOut(
      [{ eventId: event, origin: "" }],
      [{ id: "ep_1", status: "active", eventTypes: null, channels: null, filter: null }],
      Date.now(),
    );
    expect(step.handled).toBe(1);
    expect((await stub.listDeliveries({ eventId: event, limit: 10 })).map((d) => d.id)).toEqual([old]);
  });
});
