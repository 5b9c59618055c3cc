/**
 * The portal's secret page (reveal, rotate with a grace period and the commit step), its
 * "test a URL" page and the sandbox badge, driven through real HTTP with a session cookie and
 * the CSRF token, as a browser would.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { api, createEndpoint, createTenant, uniqueTenantId } from "../helpers/api";
import { PortalClient } from "../helpers/portal";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const HEADER = "X-DocExtract-Signature";
const hexOf = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");
const shownSecret = (html: string) =>
  /<code class="secret" id="secret">([^<]+)<\/code>/.exec(html)?.[1]?.replace(/&amp;/g, "&");

async function deliverOne(tenant: string, path: string) {
  const before = (await waitForReceived(path, 0)).length;
  expect(
    (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "job.completed", data: {} } })).status,
  ).toBe(202);
  return (await waitForReceived(path, before + 1))[before]!;
}

describe("portal: signing secret", () => {
  it("reveals, rotates with the customer's own secret, and commits: the vendor header follows", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/portal-rot");
    const oldSecret = "dx_live_portal_old_0123456789";
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      signature: { scheme: "hmac-sha256-hex", header: HEADER, prefix: "" },
      secret: oldSecret,
    });
    const { client } = await PortalClient.open(tenant);

    const detail = await client.get(`/portal/endpoints/${ep.id}`);
    expect(detail.html).toContain(`/portal/endpoints/${ep.id}/secret`);
    const secretPage = await client.get(`/portal/endpoints/${ep.id}/secret`);
    expect(secretPage.status).toBe(200);
    expect(secretPage.html).toContain("Show secret");
    expect(secretPage.html).not.toContain(oldSecret); // only after the POST
    const csrf = PortalClient.csrfOf(secretPage.html);

    const revealed = await client.post(`/portal/endpoints/${ep.id}/secret/reveal`, { _csrf: csrf });
    expect(revealed.status).toBe(200);
    expect(shownSecret(revealed.html)).toBe(oldSecret);
    expect(revealed.headers.get("cache-control")).toBe("no-store");
    // Without the CSRF token: refused, nothing shown.
    const forged = await client.post(`/portal/endpoints/${ep.id}/secret/reveal`, {});
    expect(forged.status).toBe(403);
    expect(forged.html).not.toContain(oldSecret);

    const bad = await client.post(`/portal/endpoints/${ep.id}/secret/rotate`, {
      _csrf: csrf,
      grace: "86400",
      secret: "short",
    });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("16..256 characters");
    expect(
      (await client.post(`/portal/endpoints/${ep.id}/secret/rotate`, { _csrf: csrf, grace: "12", secret: "" })).status,
    ).toBe(400);

    const newSecret = "dx_live_portal_new_9876543210";
    const rotated = await client.post(`/portal/endpoints/${ep.id}/secret/rotate`, {
      _csrf: csrf,
      grace: "3600",
      secret: newSecret,
    });
    expect(rotated.status).toBe(200);
    expect(shownSecret(rotated.html)).toBe(newSecret);
    expect(rotated.html).toContain("still signed with the previous secret");

    const during = await deliverOne(tenant, path);
    expect(during.headers[HEADER.toLowerCase()]).toBe(hexOf(oldSecret, during.body));
    const pending = await client.get(`/portal/endpoints/${ep.id}/secret`);
    expect(pending.html).toContain("My receiver uses the new secret");
    expect(pending.html).toContain("A rotation is in progress");

    const commit = await client.post(`/portal/endpoints/${ep.id}/secret/commit`, { _csrf: csrf });
    expect(commit.status).toBe(303);
    const after = await deliverOne(tenant, path);
    expect(after.headers[HEADER.toLowerCase()]).toBe(hexOf(newSecret, after.body));
    const done = await client.get(commit.headers.get("location")!.replace("http://edgehooks.test", ""));
    expect(done.html).toContain("every header is now signed with the new secret");
    expect(done.html).not.toContain("My receiver uses the new secret");
  });

  it("read-only sessions see the explanation but no reveal or rotate, and their POSTs are refused", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    const { client } = await PortalClient.open(tenant, { read_only: true });
    const pageRo = await client.get(`/portal/endpoints/${ep.id}/secret`);
    expect(pageRo.status).toBe(200);
    expect(pageRo.html).toContain("read-only");
    expect(pageRo.html).not.toContain("Show secret");
    expect(pageRo.html).not.toContain("Rotate secret");
    const res = await client.post(`/portal/endpoints/${ep.id}/secret/reveal`, { _csrf: "x" });
    expect(res.status).toBe(403);
    expect(res.html).not.toContain(ep.secret);
    expect((await client.get("/portal/test-url")).status).toBe(403);
  });

  it("another tenant's endpoint: 404", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const ep = await createEndpoint(other, { url: receiverUrl("/x") });
    const { client } = await PortalClient.open(tenant);
    expect((await client.get(`/portal/endpoints/${ep.id}/secret`)).status).toBe(404);
    const csrf = PortalClient.csrfOf((await client.get("/portal/test-url")).html);
    const res = await client.post(`/portal/endpoints/${ep.id}/secret/reveal`, { _csrf: csrf });
    expect(res.status).toBe(404);
    expect(res.html).not.toContain(ep.secret);
  });
});

describe("portal: test a URL", () => {
  it("sends a signed test to a URL that is not an endpoint and shows the answer and the secret", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/portal-tu");
    const { client } = await PortalClient.open(tenant);
    const list = await client.get("/portal");
    expect(list.html).toContain("/portal/test-url");
    const form = await client.get("/portal/test-url");
    const csrf = PortalClient.csrfOf(form.html);
    const secret = "dx_live_portal_test_url_01";
    const res = await client.post("/portal/test-url", {
      _csrf: csrf,
      url: receiverUrl(path),
      scheme: "hmac-sha256-hex",
      header: HEADER,
      secret,
    });
    expect(res.status).toBe(200);
    expect(res.html).toContain("HTTP 200");
    expect(shownSecret(res.html)).toBe(secret);
    const [got] = await waitForReceived(path, 1);
    expect(got!.headers[HEADER.toLowerCase()]).toBe(hexOf(secret, got!.body));
    expect(JSON.parse(got!.body).type).toBe("webhook.test");

    const bad = await client.post("/portal/test-url", {
      _csrf: csrf,
      url: "ftp://example.com/x",
      scheme: "standard",
      header: "",
      secret: "",
    });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("field-error");
    const badSecret = await client.post("/portal/test-url", {
      _csrf: csrf,
      url: receiverUrl(path),
      scheme: "standard",
      header: "",
      secret: "whsec_x",
    });
    expect(badSecret.status).toBe(400);
    expect(badSecret.html).toContain("whsec_");
  });
});

describe("portal: sandbox badge", () => {
  it("a sandbox tenant's pages say Sandbox in the header; production's do not", async () => {
    const sandbox = uniqueTenantId();
    await api("POST", "/v1/tenants", { body: { id: sandbox, name: "s", environment: "sandbox" } });
    const prod = await createTenant();
    const s = await (await PortalClient.open(sandbox)).client.get("/portal");
    expect(s.html).toMatch(/<span class="badge sandbox"[^>]*>\s*Sandbox\s*<\/span>/);
    const p = await (await PortalClient.open(prod)).client.get("/portal");
    expect(p.html).not.toContain('class="badge sandbox"');
  });
});
