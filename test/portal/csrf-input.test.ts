/** The CSRF check answers a clear 403 for any `_csrf` it cannot match, never a 500. */
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath } from "../helpers/receiver";

describe("CSRF token input", () => {
  it("a non-ASCII, multi-byte or oversized _csrf of any length is refused with 403", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl(uniquePath("/ok")) });
    const { client } = await PortalClient.open(tenant);
    const token = PortalClient.csrfOf((await client.get(`/portal/endpoints/${ep.id}`)).html);
    const action = `/portal/endpoints/${ep.id}/disable`;
    // Same number of UTF-16 code units as the real token, different byte length: this used to throw.
    for (const bad of [
      "é".repeat(token.length),
      `${token.slice(0, -1)}€`,
      "\u{1F600}".repeat(token.length / 2),
      "x".repeat(100_000),
      "",
    ]) {
      const res = await client.post(action, { _csrf: bad });
      expect(res.status, JSON.stringify(bad.slice(0, 8))).toBe(403);
    }
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints/${ep.id}`)).body.status).toBe("active");
  });
});
