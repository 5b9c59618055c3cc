/**
 * The whole pipeline, end to end: HTTP ingest → D1 → queue → fan-out → dispatcher DO → signed
 * POST to the real receiver on 127.0.0.1 → attempts in the delivery log.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

describe("ingest → delivery", () => {
  it("delivers a posted event to every matching endpoint, signed, and logs the attempt", async () => {
    const tenant = await createTenant();
    const pathA = uniquePath();
    const pathB = uniquePath();
    const pathOther = uniquePath();
    const a = await createEndpoint(tenant, { url: receiverUrl(pathA), event_types: ["job.*"] });
    const b = await createEndpoint(tenant, { url: receiverUrl(pathB) });
    await createEndpoint(tenant, { url: receiverUrl(pathOther), event_types: ["invoice.paid"] });

    const posted = await api("POST", `/v1/tenants/${tenant}/events`, {
      body: { type: "job.completed", data: { job_id: "job_1", pages: 3 } },
    });
    expect(posted.status).toBe(202);
    expect(posted.body.id).toMatch(/^evt_/);

    // Read-after-write: the event is readable at once.
    const read = await api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ job_id: "job_1", pages: 3 });

    const [gotA] = await waitForReceived(pathA);
    const [gotB] = await waitForReceived(pathB);
    for (const [got, ep] of [
      [gotA!, a],
      [gotB!, b],
    ] as const) {
      // Verified by the independent Standard Webhooks library, with the secret shown at creation.
      const payload = new Webhook(ep.secret).verify(got.body, got.headers) as {
        id: string;
        type: string;
        data: unknown;
      };
      expect(payload).toMatchObject({ id: posted.body.id, type: "job.completed", data: { job_id: "job_1", pages: 3 } });
      expect(got.headers["webhook-id"]).toBe(posted.body.id);
      expect(got.headers["webhook-attempt"]).toBe("1");
      expect(got.headers["user-agent"]).toMatch(/^Edgehooks\//);
      expect(got.headers["content-type"]).toBe("application/json");
    }

    // The endpoint subscribed to invoice.paid got nothing.
    const deliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
      (r) => r.body.data.length === 2 && r.body.data.every((d: { status: string }) => d.status === "succeeded"),
    );
    expect(new Set(deliveries.body.data.map((d: { endpoint_id: string }) => d.endpoint_id))).toEqual(
      new Set([a.id, b.id]),
    );
    expect(await received(pathOther)).toHaveLength(0);

    const detail = await api("GET", `/v1/tenants/${tenant}/deliveries/${deliveries.body.data[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.attempts).toHaveLength(1);
    expect(detail.body.attempts[0]).toMatchObject({ number: 1, trigger: "scheduled", status_code: 200, error: null });
    expect(detail.body.attempts[0].request_headers["webhook-signature"]).toMatch(/^v1,/);
  });
});
