/**
 * An attempt's request headers are stored without the four its row already says
 * (src/attempts/stored-headers.ts), and every read shows exactly what the receiver got.
 */
import { describe, expect, it } from "vitest";
import { type AttemptFacts, headersAsSent, headersToStore } from "../../src/attempts/stored-headers";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

const facts: AttemptFacts = { eventId: "evt_01jd0000000000000000000001", number: 2, startedAt: 1_796_000_000_500 };

/** Headers in the order an attempt sends them (src/attempts/send-attempt.ts). */
const sent = {
  "x-customer": "********",
  "content-type": "application/json",
  "user-agent": "Edgehooks/0.1.0",
  "webhook-id": facts.eventId,
  "webhook-timestamp": "1796000000",
  "webhook-attempt": "2",
  "webhook-signature": "v1,abc=",
};

describe("an attempt's stored headers", () => {
  it("drop what the row says and come back exactly, in order", () => {
    const stored = headersToStore(sent, facts);
    expect(Object.keys(stored)).not.toContain("webhook-id");
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(sent).length - 100);
    expect(JSON.stringify(headersAsSent(stored, facts))).toBe(JSON.stringify(sent));
  });

  it("are stored whole when they would not come back exactly", () => {
    expect(headersToStore({}, facts)).toEqual({}); // an attempt that was not sent
    const otherTime = { ...sent, "webhook-timestamp": "1796000001" };
    expect(headersToStore(otherTime, facts)).toBe(otherTime);
    const { "user-agent": _, ...noAgent } = sent;
    expect(headersToStore(noAgent, facts)).toBe(noAgent);
    // A row stored whole before (or by an older version) reads as it is.
    expect(headersAsSent(sent, facts)).toBe(sent);
  });

  it("read through the API are what the receiver got", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/ok");
    await createEndpoint(tenant, { url: receiverUrl(path), headers: { "x-customer": "acme" } });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { n: 1 } } });
    const [got] = await waitForReceived(path, 1);
    const attempts = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/attempts?event_id=${posted.body.id}`),
      (r) => r.body.data.length === 1,
    );
    const shown = attempts.body.data[0].request_headers as Record<string, string>;
    for (const name of [
      "content-type",
      "user-agent",
      "webhook-id",
      "webhook-timestamp",
      "webhook-attempt",
      "webhook-signature",
    ])
      expect(shown[name], name).toBe(got!.headers[name]);
    // A first attempt is stored in its delivery's row (src/tenant-log/first-attempt.ts), compact as well.
    const [row] = await logRows<{ request_headers: string }>(
      tenant,
      "SELECT first_request_headers AS request_headers FROM deliveries",
    );
    expect(JSON.parse(row!.request_headers)).not.toHaveProperty("webhook-id");
  });
});
