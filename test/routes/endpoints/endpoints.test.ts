/**
 * The endpoint resource over the API: the signing secret is shown only in the create answer;
 * create, read, update, enable, disable and delete with filters; a bad URL or field is 400 naming
 * it; a second endpoint on one URL is created with warnings naming the tenant's own endpoints
 * already there; and POST .../test sends now and answers the attempt, success and failure alike.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../../helpers/api";
import { receiverUrl, uniquePath } from "../../helpers/receiver";

describe("endpoints", () => {
  it("shows the secret only at creation; CRUD, enable/disable, filters", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(uniquePath("/ok")),
      description: "orders",
      event_types: ["order.*"],
      channels: ["eu"],
      retry_policy: "rapid",
      rate_limit_per_s: 5,
      max_in_flight: 2,
      timeout_ms: 5000,
      metadata: { team: "billing" },
      headers: { "X-Team": "billing" },
    });
    expect(ep.secret).toMatch(/^whsec_/);
    expect(ep).toMatchObject({
      status: "active",
      retry_policy: "rapid",
      rate_limit_per_s: 5,
      max_in_flight: 2,
      timeout_ms: 5000,
      headers: { "X-Team": "********" },
    });
    const get = await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`);
    expect(get.body.secret).toBeUndefined();
    expect(JSON.stringify(get.body)).not.toContain(ep.secret);
    const patched = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
      body: { event_types: ["order.paid"], retry_policy: { schedule_s: [1, 2] } },
    });
    expect(patched.body).toMatchObject({ event_types: ["order.paid"], retry_policy: { schedule_s: [1, 2] } });
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/disable`)).body).toMatchObject({
      status: "disabled",
      disabled_reason: "manual",
    });
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints?status=disabled`)).body.data).toHaveLength(1);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints?status=active`)).body.data).toHaveLength(0);
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/enable`)).body.status).toBe("active");
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints?event_type=order.paid`)).body.data).toHaveLength(1);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints?event_type=user.created`)).body.data).toHaveLength(0);
    expect((await api("DELETE", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).status).toBe(204);
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).status).toBe(404);
  });

  it.each([
    [{ url: "x" }, "url"],
    [{ url: receiverUrl("/x"), event_type: ["a"] }, "event_type"],
    [{ url: receiverUrl("/x"), timeout_ms: 999 }, "timeout_ms"],
    [{ url: receiverUrl("/x"), timeout_ms: 30001 }, "timeout_ms"],
    [{ url: receiverUrl("/x"), retry_policy: "sometimes" }, "retry_policy"],
    [{ url: receiverUrl("/x"), retry_policy: { schedule_s: [] } }, "retry_policy"],
    [{ url: receiverUrl("/x"), retry_policy: { schedule_s: Array(21).fill(1) } }, "retry_policy"],
    [{ url: receiverUrl("/x"), retry_policy: { schedule_s: [0] } }, "retry_policy"],
    [{ url: receiverUrl("/x"), rate_limit_per_s: 0 }, "rate_limit_per_s"],
    [{ url: receiverUrl("/x"), auth: { type: "basic", username: "u" } }, "auth"],
    [{ url: receiverUrl("/x"), signature: { scheme: "md5" } }, "signature"],
    [{ url: receiverUrl("/x"), envelope: "xml" }, "envelope"],
    [{ url: receiverUrl("/x"), event_types: ["a..b"] }, "event_types"],
  ])("refuses %j (issue on %s)", async (body, path) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).join(" ")).toContain(path);
  });

  it("a second endpoint on one URL is created with warnings naming the endpoints already there (of this tenant only)", async () => {
    const tenant = await createTenant();
    const url = receiverUrl(uniquePath("/shared"));
    const first = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url } });
    expect(first.status).toBe(201);
    expect(first.body).not.toHaveProperty("warnings");
    const second = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url, event_types: ["order.*"] } });
    expect(second.status).toBe(201);
    expect(second.body.warnings).toEqual([
      {
        code: "url_shared",
        message: `endpoint ${first.body.id} already sends to this URL: an event both match is delivered once to each. Delete the extra endpoint if that was not meant.`,
        endpoint_ids: [first.body.id],
      },
    ]);
    const third = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url } });
    expect(third.body.warnings[0].message).toMatch(/^2 endpoints already send to this URL/);
    expect([...third.body.warnings[0].endpoint_ids].sort()).toEqual([first.body.id, second.body.id].sort());
    // Another tenant's endpoint on the same URL is none of this tenant's business.
    const other = await api("POST", `/v1/tenants/${await createTenant()}/endpoints`, { body: { url } });
    expect(other.body).not.toHaveProperty("warnings");
  });

  it("test sends now and answers the attempt, success and failure alike", async () => {
    const tenant = await createTenant();
    const ok = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    const bad = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/status/500")) });
    const a = await api("POST", `/v1/tenants/${tenant}/endpoints/${ok.id}/test`, { body: {} });
    expect(a.body).toMatchObject({ trigger: "test", status_code: 200, error: null, number: 1 });
    const b = await api("POST", `/v1/tenants/${tenant}/endpoints/${bad.id}/test`, {
      body: { event_type: "order.paid", data: { x: 1 } },
    });
    expect(b.body).toMatchObject({ trigger: "test", status_code: 500 });
    const log = await api("GET", `/v1/tenants/${tenant}/deliveries?endpoint_id=${bad.id}`);
    expect(log.body.data[0]).toMatchObject({ event_type: "order.paid", status: "failed" });
  });
});
