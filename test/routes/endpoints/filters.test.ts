/**
 * Endpoint payload filters: validated at create and update (400 naming the bad part), evaluated in
 * the fan-out so only matching events are delivered, and answered by test-filter with whether an
 * event would match and why.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../../helpers/api";
import { received, receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";

describe("endpoint filters", () => {
  it("are validated at create and update (400 naming the bad part)", async () => {
    const tenant = await createTenant();
    const bad = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: receiverUrl("/x"), filter: { $or: [{ "data.a": 1 }, { "data.total": { $between: [1, 2] } }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("filter.$or.1.data.total.$between");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl("/x"),
      filter: { "data.total_amount": { $gte: 1000 } },
    });
    expect(ep.filter).toEqual({ "data.total_amount": { $gte: 1000 } });
    const patch = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
      body: { filter: { "data.x": { $regex: "(" } } },
    });
    expect(patch.status).toBe(400);
  });

  it("are evaluated in the fan-out: only matching events are delivered", async () => {
    const tenant = await createTenant();
    const bigPath = uniquePath("/ok");
    const allPath = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(bigPath), filter: { "data.total_amount": { $gte: 1000 } } });
    await createEndpoint(tenant, { url: receiverUrl(allPath) });
    const small = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "invoice.paid", data: { total_amount: 10 } },
    });
    const big = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "invoice.paid", data: { total_amount: 1500 } },
    });
    await waitForReceived(allPath, 2);
    const got = await waitForReceived(bigPath, 1);
    expect(got.map((r) => r.headers["webhook-id"])).toEqual([big.body.id]);
    await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${small.body.id}/deliveries`),
      (r) => r.body.data.length === 1,
    );
    expect((await received(bigPath)).map((r) => r.headers["webhook-id"])).not.toContain(small.body.id);
  });

  it("test-filter answers whether an event would match, and why", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, {
      url: receiverUrl("/x"),
      event_types: ["invoice.*"],
      filter: { "data.total_amount": { $gte: 1000 } },
    });
    const path = `/v1/tenants/${tenant}/endpoints/${ep.id}/test-filter`;
    expect((await api("POST", path, { body: { type: "invoice.paid", data: { total_amount: 1500 } } })).body).toEqual({
      matches: true,
      filter_matches: true,
      event_type_matches: true,
      channels_match: true,
    });
    expect((await api("POST", path, { body: { type: "invoice.paid", data: { total_amount: 5 } } })).body).toMatchObject(
      {
        matches: false,
        filter_matches: false,
      },
    );
    expect((await api("POST", path, { body: { type: "job.done", data: { total_amount: 5000 } } })).body).toMatchObject({
      matches: false,
      event_type_matches: false,
    });
    expect((await api("POST", path, { body: {} })).status).toBe(400);
  });
});
