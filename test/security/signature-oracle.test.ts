/**
 * Weak brought secrets: an `hmac-sha256-hex` secret may be as short as 16 printable characters,
 * because vendors import the secrets their subscribers already verify with. An attempt's logged
 * signature plus its body is an offline oracle for such a secret, so only principals that may
 * read the secret itself (admin keys, writable portal sessions) see signatures; read keys and
 * read-only sessions see them masked, in the API and in the portal.
 */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, eventually } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const HEADER = "x-docextract-signature";
const MASK = "********";

async function deliveredAttempt() {
  const tenant = await createTenant();
  const path = uniquePath("/oracle");
  // 16 characters: the shortest a vendor may import, and still accepted.
  const ep = await createEndpoint(tenant, {
    url: receiverUrl(path),
    signature: { scheme: "hmac-sha256-hex", header: HEADER, prefix: "" },
    secret: "dx_0123456789abc",
  });
  expect(ep.secret).toBe("dx_0123456789abc");
  expect(
    (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "job.completed", data: { n: 1 } } })).status,
  ).toBe(202);
  const [got] = await waitForReceived(path, 1);
  const attempts = await eventually(
    () => api("GET", `/v1/tenants/${tenant}/attempts?endpoint_id=${ep.id}`),
    (r) => r.body.data?.length === 1,
  );
  const attempt = attempts.body.data[0] as { id: string; delivery_id: string; request_headers: Record<string, string> };
  return {
    tenant,
    attempt,
    hexSignature: got!.headers[HEADER]!,
    standardSignature: got!.headers["webhook-signature"]!,
  };
}

describe("attempt signatures are shown only to principals that may read the secret", () => {
  it("API: admin sees them; a read key and a read-only session see them masked, nothing else lost", async () => {
    const { tenant, attempt, hexSignature, standardSignature } = await deliveredAttempt();
    expect(attempt.request_headers[HEADER]).toBe(hexSignature);
    expect(attempt.request_headers["webhook-signature"]).toBe(standardSignature);

    const readKey = (await api("POST", "/v1/api-keys", { body: { name: "r", scopes: ["read"], tenant_id: tenant } }))
      .body.key;
    const readOnly = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { read_only: true } })).body
      .token;
    for (const key of [readKey, readOnly]) {
      const answers = [
        await api("GET", `/v1/tenants/${tenant}/attempts/${attempt.id}`, { key }),
        await api("GET", `/v1/tenants/${tenant}/attempts?delivery_id=${attempt.delivery_id}`, { key }),
        await api("GET", `/v1/tenants/${tenant}/deliveries/${attempt.delivery_id}`, { key }),
      ];
      for (const res of answers) {
        expect(res.status).toBe(200);
        const text = JSON.stringify(res.body);
        expect(text).not.toContain(hexSignature);
        expect(text).not.toContain(standardSignature.split(",")[1]!);
      }
      const shown = answers[0]!.body.request_headers as Record<string, string>;
      expect(shown[HEADER]).toBe(MASK);
      expect(shown["webhook-signature"]).toBe(MASK);
      expect(shown["webhook-id"]).toBe(attempt.request_headers["webhook-id"]);
      expect(shown["content-type"]).toBe("application/json");
    }
  });

  it("portal: a writable session sees them on the delivery page, a read-only session does not", async () => {
    const { tenant, attempt, hexSignature } = await deliveredAttempt();
    const { client: rw } = await PortalClient.open(tenant, { read_only: false });
    expect((await rw.get(`/portal/deliveries/${attempt.delivery_id}`)).html).toContain(hexSignature);
    const { client: ro } = await PortalClient.open(tenant, { read_only: true });
    const page = await ro.get(`/portal/deliveries/${attempt.delivery_id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("webhook-id");
    expect(page.html).not.toContain(hexSignature);
  });
});
