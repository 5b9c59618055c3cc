/**
 * No delivery loops (docs/contract.md "Security"): an endpoint may never point at this deployment itself —
 * the host of PUBLIC_URL (http://edgehooks.test in vitest.config.ts), the host the request came
 * in on, and SELF_HOSTS — in any spelling, whatever ALLOW_PRIVATE_URLS says (it is true in the
 * tests). Refused with 400 at create/update; at attempt time nothing is sent (blocked_destination);
 * and a request made by a delivery cannot call the API, so no chain of deliveries feeds itself.
 */

import { SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkDestination } from "../../src/delivery/ssrf";
import { api, createEndpoint, createTenant, ROOT_KEY } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

const SELF_SPELLINGS = [
  "http://edgehooks.test/v1/tenants/t/events/evt_x/resend",
  "https://edgehooks.test/v1/tenants/t/events",
  "http://EDGEHOOKS.Test/v1",
  "http://edgehooks.test./v1",
  "http://edgehooks.test../v1",
  "http://edgehooks.test:8443/v1",
  "https://edgehooks.test:443/v1",
  "http://edgehooks%2Etest/v1",
  // SELF_HOSTS (vitest.config.ts): a custom domain and an address in its other spellings.
  "https://hooks.example.org/v1",
  "https://HOOKS.example.org.:8443/v1",
  "https://198.51.100.7/v1",
  "https://3325256711/v1",
  "https://0xc6.0x33.0x64.0x7/v1",
  "https://0306.063.0144.07/v1",
  "https://[::ffff:198.51.100.7]/v1",
  // The host a request comes in on is a self host too (the tests call http://requested.test).
  "http://requested.test/v1",
];

describe("endpoints pointing at this deployment", () => {
  it.each(SELF_SPELLINGS)("%s is refused with 400 at create and update", async (url) => {
    const tenant = await createTenant();
    const res = await viaHost("POST", `/v1/tenants/${tenant}/endpoints`, { url });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0]).toMatchObject({ path: "url" });
    expect(res.body.error.issues[0].message).toMatch(/this deployment/);
    const ep = await createEndpoint(tenant, { url: receiverUrl("/fine") });
    const patch = await viaHost("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, { url });
    expect(patch.status).toBe(400);
  });

  it("other hosts, and the same address on another port when it is an IP, stay allowed", () => {
    const opts = { allowHttp: true, allowPrivate: true, selfHosts: ["edgehooks.test", "127.0.0.1:8787"] };
    expect(checkDestination("http://api.edgehooks.test/x", opts).ok).toBe(true);
    expect(checkDestination("http://edgehooks.testing/x", opts).ok).toBe(true);
    expect(checkDestination("http://127.0.0.1:4000/x", opts).ok).toBe(true);
    expect(checkDestination("http://127.0.0.1:8787/x", opts).ok).toBe(false);
    expect(checkDestination("http://0x7f.1:8787/x", opts).ok).toBe(false);
  });

  it("every loopback spelling on the service's own port is the service itself (ALLOW_PRIVATE_URLS=true)", async () => {
    const opts = { allowHttp: true, allowPrivate: true, selfHosts: ["localhost:8787"] };
    for (const url of [
      "http://localhost:8787/v1",
      "http://LOCALHOST.:8787/v1",
      "http://api.localhost:8787/v1",
      "http://127.0.0.1:8787/v1",
      "http://127.5.6.7:8787/v1",
      "http://2130706433:8787/v1",
      "http://0.0.0.0:8787/v1",
      "http://0:8787/v1",
      "http://[::1]:8787/v1",
      "http://[0:0:0:0:0:0:0:1]:8787/v1",
      "http://[::]:8787/v1",
      "http://[::ffff:127.0.0.1]:8787/v1",
      "http://ip6-localhost:8787/v1",
    ]) {
      const verdict = checkDestination(url, opts);
      expect(verdict.ok, url).toBe(false);
      expect(verdict.ok ? "" : verdict.reason, url).toMatch(/this deployment/);
    }
    // Another port on loopback is another program (a local receiver); a public host is not loopback.
    expect(checkDestination("http://127.0.0.1:4000/x", opts).ok).toBe(true);
    expect(checkDestination("http://[::1]:4000/x", opts).ok).toBe(true);
    expect(checkDestination("http://example.com:8787/x", opts).ok).toBe(true);
    // The same from an address spelling of loopback as the host the service is reached on.
    expect(checkDestination("http://localhost:8787/x", { ...opts, selfHosts: ["[::1]:8787"] }).ok).toBe(false);
  });

  it("a self host on its scheme's default port keeps that port: localhost:80 is not every loopback port", () => {
    // What a request on http://localhost/ teaches (src/lib/self-hosts.ts), and a PUBLIC_URL without a port.
    for (const selfHosts of [["localhost:80"], ["http://localhost"], ["http://127.0.0.1/"], ["LOCALHOST:0080"]]) {
      const opts = { allowHttp: true, allowPrivate: true, selfHosts };
      expect(checkDestination("http://127.0.0.1:4000/x", opts).ok, `${selfHosts} vs :4000`).toBe(true);
      expect(checkDestination("http://localhost:8787/x", opts).ok, `${selfHosts} vs :8787`).toBe(true);
      expect(checkDestination("http://127.0.0.1/x", opts).ok, `${selfHosts} vs :80`).toBe(false);
      expect(checkDestination("http://[::1]:80/x", opts).ok, `${selfHosts} vs [::1]:80`).toBe(false);
    }
    // The same on https's port.
    const tls = { allowHttp: true, allowPrivate: true, selfHosts: ["https://localhost"] };
    expect(checkDestination("https://127.0.0.1/x", tls).ok).toBe(false);
    expect(checkDestination("http://127.0.0.1:4000/x", tls).ok).toBe(true);
    // A loopback self host named without a port or scheme still stands for every port (SELF_HOSTS=localhost).
    expect(
      checkDestination("http://127.0.0.1:4000/x", { allowHttp: true, allowPrivate: true, selfHosts: ["localhost"] }).ok,
    ).toBe(false);
  });

  it("a request that came in on http://localhost:<port> makes [::1] and 127.x on that port refused at create", async () => {
    const tenant = await createTenant();
    // Any port but the test receiver's (which this file's other tests deliver to).
    const port = Number((env as unknown as { RECEIVER_PORT: string }).RECEIVER_PORT) === 8799 ? 8798 : 8799;
    const res = await SELF.fetch(`http://localhost:${port}/v1/tenants/${tenant}/endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `http://[::1]:${port}/v1/tenants/x/events` }),
    });
    expect(res.status).toBe(400);
    const other = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: `http://127.0.0.2:${port}/v1` },
    });
    expect(other.status).toBe(400);
    expect(other.body.error.issues[0].message).toMatch(/this deployment/);
  });

  it("a stored endpoint that targets the deployment records blocked_destination at attempt time and sends nothing", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/fine") });
    // As if it had been stored before the check existed (or PUBLIC_URL changed since).
    await env.DB.prepare("UPDATE endpoints SET url = ? WHERE id = ?")
      .bind("http://edgehooks.test/v1/tenants/x/events", ep.id)
      .run();
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ error: "blocked_destination", status_code: null });
    expect(test.body.error_detail).toMatch(/this deployment/);
  });

  it("a request sent by a delivery cannot call the API: a chain of deliveries cannot feed itself", async () => {
    const tenant = await createTenant();
    const res = await SELF.fetch(`http://edgehooks.test/v1/tenants/${tenant}/events`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ROOT_KEY}`,
        "content-type": "application/json",
        "user-agent": "Edgehooks/0.1.0",
        "webhook-id": "evt_x",
        "webhook-signature": "v1,abc",
      },
      body: JSON.stringify({ type: "a.b", data: {} }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/delivery/);
  });
});

async function viaHost(method: string, path: string, body: unknown) {
  const res = await SELF.fetch(`http://requested.test${path}`, {
    method,
    headers: { authorization: `Bearer ${ROOT_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
