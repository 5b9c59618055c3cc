/**
 * The portal's endpoint form refuses what the API refuses, depth and size included: the API counts
 * a JSON body's depth and bytes before its schema runs (src/http/json-depth.ts, body-limit.ts); a
 * form post carries the filter as text, so the form's parse must apply the same bounds. A filter that got stored over-deep anyway
 * (before this check) must never make the tenant's fan-out throw.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_FILTER_JSON_DEPTH } from "../../src/delivery/filter";
import { api, createTenant } from "../helpers/api";
import { createFields, PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

/** `{"data.x": {"$eq": {"a": {"a": … }}}}` nested `levels` deep in all. */
function deepFilter(levels: number): string {
  let inner = "1";
  for (let i = 0; i < levels - 2; i++) inner = `{"a":${inner}}`;
  return `{"data.x":{"$eq":${inner}}}`;
}

async function signedIn() {
  const tenant = await createTenant();
  const { client } = await PortalClient.open(tenant);
  const csrf = PortalClient.csrfOf((await client.get("/portal/endpoints/new")).html);
  return { tenant, client, csrf };
}

describe("portal endpoint form: the API's depth and size bounds", () => {
  for (const levels of [100, 3000]) {
    it(`refuses a filter ${levels} deep on the form, with the error beside the field`, async () => {
      const { tenant, client, csrf } = await signedIn();
      const res = await client.post(
        "/portal/endpoints",
        createFields(csrf, receiverUrl(uniquePath("/deep")), { description: "depth", filter: deepFilter(levels) }),
      );
      expect(res.status).toBe(400);
      expect(res.html).toMatch(/id="filter-error"[^>]*>[^<]*nested deeper than/);
      const list = await api("GET", `/v1/tenants/${tenant}/endpoints`);
      expect(list.body.data).toHaveLength(0);
    });
  }

  it("draws the line where the API does: 63 levels of filter (64 of body) pass both, one more fails both", async () => {
    const { tenant, client, csrf } = await signedIn();
    const viaForm = (levels: number) =>
      client.post(
        "/portal/endpoints",
        createFields(csrf, receiverUrl(uniquePath("/deep")), { description: "depth", filter: deepFilter(levels) }),
      );
    const viaApi = (levels: number) =>
      api("POST", `/v1/tenants/${tenant}/endpoints`, {
        body: { url: receiverUrl(uniquePath("/deep")), filter: JSON.parse(deepFilter(levels)) },
      });
    expect((await viaForm(MAX_FILTER_JSON_DEPTH)).status).toBe(201);
    expect((await viaApi(MAX_FILTER_JSON_DEPTH)).status).toBe(201);
    expect((await viaForm(MAX_FILTER_JSON_DEPTH + 1)).status).toBe(400);
    const refused = await viaApi(MAX_FILTER_JSON_DEPTH + 1);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/nested deeper than/);
  });

  it("a filter stored over-deep before this check matches nothing, and the tenant's other endpoints still get their events", async () => {
    const tenant = await createTenant();
    const deepPath = uniquePath("/deep-stored");
    const okPath = uniquePath("/ok");
    const deep = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: receiverUrl(deepPath), filter: { "data.x": 1 } },
    });
    const ok = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: receiverUrl(okPath) } });
    expect([deep.status, ok.status]).toEqual([201, 201]);
    // As the portal stored it before the form counted depth.
    await env.DB.prepare("UPDATE endpoints SET filter = ? WHERE id = ?").bind(deepFilter(3000), deep.body.id).run();
    const sent = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "order.created", data: { x: 1 } } });
    expect(sent.status).toBe(202);
    expect(await waitForReceived(okPath, 1)).toHaveLength(1);
    for (const id of [ok.body.id, deep.body.id]) {
      const rotated = await api("POST", `/v1/tenants/${tenant}/endpoints/${id}/rotate-secret`, { body: {} });
      expect(rotated.status).toBe(200);
    }
    const tested = await api("POST", `/v1/tenants/${tenant}/endpoints/${deep.body.id}/test-filter`, {
      body: { data: { x: 1 } },
    });
    expect(tested.status).toBe(400);
  });
});

it("refuses on the form an endpoint larger than the API's body limit, blaming the filter", async () => {
  const { parseEndpointForm, EMPTY_FORM } = await import("../../src/portal/form-input/endpoint");
  const { CreateEndpointInput } = await import("../../src/routes/endpoints/schema");
  const { SMALL_BODY_BYTES } = await import("../../src/http/body-limit");
  const tenant = await createTenant();
  const url = receiverUrl(uniquePath("/big"));
  // 100 values of 2,700 characters: a valid filter of ~270 KB of JSON, past the 256 KiB body limit.
  const filter = { "data.sku": { $in: Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(2700, "x")) } };
  expect(JSON.stringify({ url, filter }).length).toBeGreaterThan(SMALL_BODY_BYTES);
  expect((await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url, filter } })).status).toBe(413);
  const parsed = parseEndpointForm(CreateEndpointInput, { ...EMPTY_FORM, url, filter: JSON.stringify(filter) });
  expect(parsed).toMatchObject({
    ok: false,
    issues: [{ path: "filter", message: expect.stringMatching(/larger than 256 KiB/) }],
  });
  // Just under the limit passes both.
  const fits = { "data.sku": { $in: Array.from({ length: 90 }, (_, i) => `${i}`.padEnd(2700, "x")) } };
  expect((await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url, filter: fits } })).status).toBe(201);
  expect(parseEndpointForm(CreateEndpointInput, { ...EMPTY_FORM, url, filter: JSON.stringify(fits) }).ok).toBe(true);
});
