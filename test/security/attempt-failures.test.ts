/**
 * An attempt that cannot be built is a recorded failure, never a thrown error: a delivery never
 * stays `pending`/`delivering` forever and `/test` never answers 500. Basic-auth credentials are
 * UTF-8 (RFC 7617), so a `€` in a password is sent, not a crash.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

/** RFC 7617: base64 of the UTF-8 bytes of "user:password". */
function basicUtf8(user: string, password: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(`${user}:${password}`)) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

describe("attempts that used to throw", () => {
  it("basic auth with non-ASCII credentials is sent as UTF-8, by the test button and by the pipeline", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/utf8");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      auth: { type: "basic", username: "zoë", password: "p€ss-wörd" },
    });
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ status_code: 200, error: null });
    const posted = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { n: 1 } } });
    const got = await waitForReceived(path, 2);
    for (const r of got) expect(r.headers.authorization).toBe(basicUtf8("zoë", "p€ss-wörd"));
    const deliveries = await eventually(
      () => api("GET", `/v1/tenants/${tenant}/events/${posted.body.id}/deliveries`),
      (r) => r.body.data[0]?.status === "succeeded",
    );
    expect(deliveries.body.data[0].status).toBe("succeeded");
  });

  it("credentials that cannot be decrypted make a recorded failed attempt, not a 500 nor a stuck delivery", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/broken");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      auth: { type: "header", name: "X-Token", value: "t0ken" },
    });
    // A ciphertext that no key opens (a damaged row, or a key that was removed too early).
    await env.DB.prepare("UPDATE endpoints SET auth_enc = ? WHERE id = ?")
      .bind("v1.00000000.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==", ep.id)
      .run();
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ status_code: null, error: "connection" });
    expect(test.body.error_detail).toMatch(/could not be built/);
    const delivery = await api("GET", `/v1/tenants/${tenant}/deliveries/${test.body.delivery_id}`);
    expect(delivery.body.status).toBe("failed");
    expect(delivery.body.attempts).toHaveLength(1);
  });
});
