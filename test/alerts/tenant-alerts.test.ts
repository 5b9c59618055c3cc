/**
 * Tenant-facing failure alerts: a tenant subscribes one of its own endpoints to
 * `edgehooks.endpoint.disabled`, `edgehooks.delivery.failing`, `edgehooks.delivery.exhausted` and
 * `edgehooks.endpoint.secret_rotated` about itself. They carry its own ids only (never another
 * tenant's, never secrets or payloads), go to that tenant's endpoints and no one else's, and
 * arrive besides the operator's copy (in the tenant's operator log).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceCtx } from "../../src/services/context";
import { emitOperational } from "../../src/services/operational";
import { operatorLogName } from "../../src/tenant-log/client";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

const bodies = async (path: string) =>
  (await received(path)).map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });

async function storedTypes(tenant: string) {
  const rows = await logRows<{ type: string }>(tenant, "SELECT type FROM events ORDER BY id");
  return rows.map((r) => r.type);
}

describe("tenant alerts", () => {
  it("delivery.failing and delivery.exhausted reach the tenant's alert endpoint, not another tenant's, not its catch-all endpoint", async () => {
    const A = await createTenant();
    const B = await createTenant();
    const alertsA = uniquePath("/alerts-a");
    const alertsB = uniquePath("/alerts-b");
    const catchAllA = uniquePath("/all-a");
    await createEndpoint(A, { url: receiverUrl(alertsA), event_types: ["edgehooks.*"] });
    await createEndpoint(A, { url: receiverUrl(catchAllA) });
    await createEndpoint(B, { url: receiverUrl(alertsB), event_types: ["edgehooks.delivery.*"] });

    const l = await ladder({
      tenant: A,
      endpoint: { retry_policy: { schedule_s: [1, 1, 1, 1] }, event_types: ["job.*"] },
    });
    const eventId = await l.post({ type: "job.failed", data: { secret_payload: "do-not-leak" } });
    for (let i = 0; i < 5; i++) {
      await l.runAlarm();
      await l.advance(1000);
    }
    const [d] = await l.deliveries(eventId);
    expect(d.status).toBe("failed");

    const got = await eventually(
      () => bodies(alertsA),
      (b) => b.filter((x) => x.type.startsWith("edgehooks.delivery.")).length >= 2,
    );
    const alerts = got.filter((x) => x.type.startsWith("edgehooks.delivery."));
    // Each travels in its own queue message, so they may arrive in either order.
    const byType = Object.fromEntries(alerts.map((a) => [a.type, a.data]));
    expect(byType).toEqual({
      "edgehooks.delivery.failing": {
        tenant_id: A,
        endpoint_id: l.endpoint.id,
        delivery_id: d.id,
        event_id: eventId,
        attempts: 4,
      },
      "edgehooks.delivery.exhausted": {
        tenant_id: A,
        endpoint_id: l.endpoint.id,
        delivery_id: d.id,
        event_id: eventId,
        attempts: 5,
      },
    });
    expect(JSON.stringify(got)).not.toContain("do-not-leak");
    expect(JSON.stringify(got)).not.toContain(l.endpoint.secret);

    // The operator's copy is still there, under the plain names.
    const operator = await logRows<{ type: string }>(
      operatorLogName(A),
      "SELECT type FROM events WHERE payload LIKE ?",
      `%${d.id}%`,
    );
    expect(operator.map((r) => r.type).sort()).toEqual(["delivery.exhausted", "delivery.failing"]);

    // The catch-all endpoint of A (no event_types) got the job event's attempts only, no alert;
    // tenant B's alert endpoint got nothing of A's.
    const all = await bodies(catchAllA);
    expect(all.some((x) => x.type.startsWith("edgehooks."))).toBe(false);
    expect(await bodies(alertsB)).toEqual([]);
    expect((await storedTypes(B)).filter((t) => t.startsWith("edgehooks."))).toEqual([]);
  });

  it("endpoint.disabled and endpoint.secret_rotated, with the tenant's ids and never the secret", async () => {
    const A = await createTenant();
    const alerts = uniquePath("/alerts");
    await createEndpoint(A, {
      url: receiverUrl(alerts),
      event_types: ["edgehooks.endpoint.disabled", "edgehooks.endpoint.secret_rotated"],
    });
    const ep = await createEndpoint(A, { url: receiverUrl(uniquePath("/data")), event_types: ["job.*"] });
    const rotation = await api("POST", `/v1/tenants/${A}/endpoints/${ep.id}/rotate-secret`, {
      body: { grace_period_s: 60 },
    });
    expect(rotation.status).toBe(200);
    expect((await api("POST", `/v1/tenants/${A}/endpoints/${ep.id}/disable`)).status).toBe(200);
    const got = (await waitForReceived(alerts, 2)).map((r) => JSON.parse(r.body));
    expect(got.map((g) => g.type)).toEqual(["edgehooks.endpoint.secret_rotated", "edgehooks.endpoint.disabled"]);
    expect(got[0].data).toEqual({
      tenant_id: A,
      endpoint_id: ep.id,
      previous_secrets_expire_at: expect.stringMatching(/Z$/),
    });
    expect(got[1].data).toEqual({ tenant_id: A, endpoint_id: ep.id, reason: "manual" });
    const everything = JSON.stringify(await received(alerts));
    for (const s of [ep.secret, rotation.body.secret]) expect(everything).not.toContain(s);
    const operator = await logRows<{ type: string; payload: string }>(
      operatorLogName(A),
      "SELECT type, payload FROM events WHERE payload LIKE ?",
      `%${ep.id}%`,
    );
    expect(operator.map((r) => r.type)).toContain("endpoint.secret_rotated");
    expect(JSON.stringify(operator)).not.toContain(rotation.body.secret);
  });

  it("a tenant without an alert subscription stores no alerts; endpoint.created/updated are never tenant alerts", async () => {
    const A = await createTenant();
    const ep = await createEndpoint(A, { url: receiverUrl(uniquePath("/data")) });
    await api("POST", `/v1/tenants/${A}/endpoints/${ep.id}/rotate-secret`, { body: {} });
    await api("POST", `/v1/tenants/${A}/endpoints/${ep.id}/disable`);
    expect(await storedTypes(A)).toEqual([]);

    const B = await createTenant();
    const alerts = uniquePath("/alerts");
    await createEndpoint(B, { url: receiverUrl(alerts), event_types: ["edgehooks.*"] });
    const other = await createEndpoint(B, { url: receiverUrl(uniquePath("/data")) });
    await api("PATCH", `/v1/tenants/${B}/endpoints/${other.id}`, { body: { description: "x" } });
    await api("DELETE", `/v1/tenants/${B}/endpoints/${other.id}`);
    expect(await storedTypes(B)).toEqual([]);
  });

  it("a failing delivery of an alert raises no alert of its own (no loop), only the operator's copy", async () => {
    const A = await createTenant();
    const alerts = uniquePath("/alerts");
    await createEndpoint(A, { url: receiverUrl(alerts), event_types: ["edgehooks.*"] });
    const ctx = serviceCtx(env);
    await emitOperational(ctx, [
      {
        type: "delivery.failing",
        tenantId: A,
        data: { endpoint_id: "ep_x", delivery_id: "dlv_x", event_id: "evt_x", attempts: 4 },
        eventType: "edgehooks.delivery.failing",
      },
    ]);
    expect(await storedTypes(A)).toEqual([]);
    await emitOperational(ctx, [
      {
        type: "delivery.failing",
        tenantId: A,
        data: { endpoint_id: "ep_y", delivery_id: "dlv_y", event_id: "evt_y", attempts: 4 },
        eventType: "job.failed",
      },
    ]);
    expect(await storedTypes(A)).toEqual(["edgehooks.delivery.failing"]);
    // A tenant deleted before its alert is emitted: nothing to do, no error.
    await api("DELETE", `/v1/tenants/${A}`);
    await expect(
      emitOperational(ctx, [{ type: "endpoint.disabled", tenantId: A, data: { endpoint_id: "ep_z", reason: "gone" } }]),
    ).resolves.toBeUndefined();
  });

  it("a portal session can subscribe its tenant's endpoint to its alerts through the API", async () => {
    const A = await createTenant();
    const token = (await api("POST", `/v1/tenants/${A}/portal-sessions`, { body: {} })).body.token;
    const res = await api("POST", `/v1/tenants/${A}/endpoints`, {
      key: token,
      body: { url: receiverUrl("/alerts"), event_types: ["edgehooks.*"] },
    });
    expect(res.status).toBe(201);
    expect(res.body.event_types).toEqual(["edgehooks.*"]);
  });
});
