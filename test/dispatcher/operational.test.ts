/**
 * Operational events: Edgehooks reports on itself to the endpoints of the `_operator` tenant. The
 * operator's copies live in the operator log of the tenant they are about, never in one log for
 * every tenant (so no single log grows with every tenant's alerts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { operatorLogName } from "../../src/tenant-log/client";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { receiverUrl, script, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

async function operatorEvents(tenant: string, endpointId: string) {
  const rows = await logRows<{ type: string; payload: string }>(
    operatorLogName(tenant),
    "SELECT type, payload FROM events ORDER BY id",
  );
  return rows
    .map((r) => ({ type: r.type, data: JSON.parse(r.payload) }))
    .filter((e) => e.data.endpoint_id === endpointId);
}

describe("operational events", () => {
  it("endpoint.created|updated|disabled|enabled|deleted name the tenant and endpoint, never secrets", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const base = `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`;
    await api("PATCH", base, { body: { description: "renamed" } });
    await api("POST", `${base}/disable`);
    await api("POST", `${base}/enable`);
    await api("DELETE", base);
    const events = await operatorEvents(l.tenant, l.endpoint.id);
    expect(events.map((e) => e.type)).toEqual([
      "endpoint.created",
      "endpoint.updated",
      "endpoint.disabled",
      "endpoint.enabled",
      "endpoint.deleted",
    ]);
    for (const e of events) expect(e.data).toMatchObject({ tenant_id: l.tenant, endpoint_id: l.endpoint.id });
    expect(JSON.stringify(events)).not.toContain(l.endpoint.secret);
  });

  it("delivery.failing on the 4th failed attempt, delivery.exhausted when the ladder ends", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [1, 1, 1, 1] } } });
    const eventId = await l.post({ type: "a.b", data: { secret_payload: "do-not-leak" } });
    for (let i = 0; i < 5; i++) {
      await l.runAlarm();
      await l.advance(1000);
    }
    const [d] = await l.deliveries(eventId);
    expect(d.status).toBe("failed");
    // The dispatcher queues them; the consumer stores them.
    const events = (
      await eventually(
        () => operatorEvents(l.tenant, l.endpoint.id),
        (es) => es.filter((e) => e.type.startsWith("delivery.")).length >= 2,
      )
    ).filter((e) => e.type.startsWith("delivery."));
    expect(events.map((e) => e.type)).toEqual(["delivery.failing", "delivery.exhausted"]);
    expect(events[0]!.data).toMatchObject({
      tenant_id: l.tenant,
      endpoint_id: l.endpoint.id,
      delivery_id: d.id,
      event_id: eventId,
      attempts: 4,
    });
    expect(JSON.stringify(events)).not.toContain("do-not-leak");
  });

  it("delivery.recovered when a delivery succeeds after failing; endpoint.disabled (gone) on 410", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 200 }, { status: 410 }]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [1] } } });
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    await l.advance(1000);
    await l.runAlarm();
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const events = await eventually(
      () => operatorEvents(l.tenant, l.endpoint.id),
      (es) => es.some((e) => e.type === "delivery.recovered") && es.some((e) => e.type === "endpoint.disabled"),
    );
    const disabled = events.find((e) => e.type === "endpoint.disabled");
    expect(disabled!.data.reason).toBe("gone");
  });

  it("operator endpoints receive them through the normal pipeline", async () => {
    await api("POST", "/v1/tenants", { body: { id: "_operator", name: "ops" } }); // may already exist
    const path = uniquePath("/ok");
    const op = await api("POST", "/v1/tenants/_operator/endpoints", {
      body: { url: `http://127.0.0.1:${(env as any).RECEIVER_PORT}${path}`, event_types: ["endpoint.*"] },
    });
    expect(op.status).toBe(201);
    const l = await ladder({ path: uniquePath("/ok") });
    const got = await eventually(
      async () =>
        (await (
          await fetch(
            `http://127.0.0.1:${(env as any).RECEIVER_PORT}/_control/received?path=${encodeURIComponent(path)}`,
          )
        ).json()) as { body: string }[],
      (r) => r.some((x) => JSON.parse(x.body).data.endpoint_id === l.endpoint.id),
    );
    const body = JSON.parse(got.find((x) => JSON.parse(x.body).data.endpoint_id === l.endpoint.id)!.body);
    expect(body.type).toBe("endpoint.created");
  });

  it("live with the tenant they are about: each tenant's in its own operator log, delivered from there, none in one log for all", async () => {
    await api("POST", "/v1/tenants", { body: { id: "_operator", name: "ops" } }); // may already exist
    const opPath = uniquePath("/ops");
    const op = await api("POST", "/v1/tenants/_operator/endpoints", {
      body: { url: receiverUrl(opPath), event_types: ["endpoint.created"] },
    });
    expect(op.status).toBe(201);
    const A = await createTenant();
    const B = await createTenant();
    const a = await createEndpoint(A, { url: receiverUrl(uniquePath("/a")) });
    const b = await createEndpoint(B, { url: receiverUrl(uniquePath("/b")) });

    // The operator's endpoint gets both, each delivered from its tenant's operator log.
    const got = (await waitForReceived(opPath, 2)).map((r) => JSON.parse(r.body));
    expect(got.map((g) => g.data.endpoint_id).sort()).toEqual([a.id, b.id].sort());
    for (const [tenant, ep] of [
      [A, a],
      [B, b],
    ] as const) {
      const stored = await logRows<{ id: string; type: string; payload: string }>(
        operatorLogName(tenant),
        "SELECT id, type, payload FROM events",
      );
      expect(stored.map((r) => [r.type, JSON.parse(r.payload)])).toEqual([
        ["endpoint.created", { tenant_id: tenant, endpoint_id: ep.id }],
      ]);
      // (Other operator endpoints of earlier tests may take endpoint.* too: only this one's delivery counts here.)
      const delivered = await eventually(
        () =>
          logRows<{ status: string }>(
            operatorLogName(tenant),
            "SELECT status FROM deliveries WHERE endpoint_id = ?",
            op.body.id,
          ),
        (rows) => rows.length === 1 && rows[0]!.status === "succeeded",
      );
      expect(delivered).toEqual([{ status: "succeeded" }]);
      // Nothing of the operator's in the tenant's own log.
      expect(await logRows(tenant, "SELECT id FROM events")).toEqual([]);
    }
    // And nothing about them in the one `_operator` log.
    expect(
      await logRows(
        "_operator",
        "SELECT id FROM events WHERE payload LIKE ? OR payload LIKE ?",
        `%${a.id}%`,
        `%${b.id}%`,
      ),
    ).toEqual([]);
  });
});
