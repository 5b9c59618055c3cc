/**
 * Login CSRF: opening a portal link must not sign the browser in by itself, or an attacker could
 * navigate a victim's browser to a link of the attacker's tenant and read what the victim then
 * types in (endpoint URLs, secrets). A GET of the link answers a page naming the tenant; the login
 * is that page's form, a POST that must come from the portal's own origin (`Origin`, and
 * `Sec-Fetch-Site: same-origin` when the browser sends it). The embedded portal keeps working:
 * the form posts from inside the frame, which is the portal's origin.
 */
import { describe, expect, it } from "vitest";
import { api, createTenant, uniqueTenantId } from "../helpers/api";
import { PortalClient, workerWith } from "../helpers/portal";

const ORIGIN = "http://edgehooks.test";

async function link(tenant: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body });
  expect(res.status).toBe(201);
  return PortalClient.linkPath(res.body.url);
}

const codeField = (html: string) => /name="code" value="(ps_code_[A-Za-z0-9_-]+)"/.exec(html)?.[1];

describe("opening a portal link", () => {
  it("a top-level GET answers a page naming the tenant, sets no cookie, and leaves the code unused", async () => {
    const id = uniqueTenantId();
    expect((await api("POST", "/v1/tenants", { body: { id, name: "Acme <Corp>" } })).status).toBe(201);
    const path = await link(id);
    const browser = new PortalClient();
    const page = await browser.get(path, {
      "sec-fetch-dest": "document",
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
    });
    expect(page.status).toBe(200);
    expect(page.headers.get("set-cookie")).toBeNull();
    expect(page.html).toContain("Acme &lt;Corp&gt;");
    expect(page.html).toContain(id);
    expect(page.html).toMatch(/<form method="post" action="\/portal\/login"/);
    expect(codeField(page.html)).toBe(new URLSearchParams(path.split("?")[1]).get("code"));
    expect((await browser.get("/portal")).status).toBe(401);
    // Opening it again (the victim's second visit, a reload) shows the page again: nothing was used.
    expect((await browser.get(path)).status).toBe(200);
    // The page's form, posted from the portal's origin, signs in.
    const login = await browser.post(
      "/portal/login",
      { code: codeField(page.html)! },
      { "sec-fetch-site": "same-origin" },
    );
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/portal");
    expect((await browser.get("/portal")).status).toBe(200);
  });

  it("a read-only link says so on the page", async () => {
    const tenant = await createTenant();
    const page = await new PortalClient().get(await link(tenant, { read_only: true }));
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/read-only/i);
  });

  it("a POST of the code from another site, or without Origin, is refused and leaves the code unused", async () => {
    const tenant = await createTenant();
    const path = await link(tenant);
    const code = new URLSearchParams(path.split("?")[1]).get("code")!;
    const victim = new PortalClient();
    const attempts: Record<string, string>[] = [
      { origin: "https://attacker.example", "sec-fetch-site": "cross-site" },
      { origin: "https://attacker.example" },
      { origin: "null" },
      { origin: ORIGIN, "sec-fetch-site": "cross-site" },
      { origin: ORIGIN, "sec-fetch-site": "same-site" },
      { origin: "http://sub.edgehooks.test", "sec-fetch-site": "same-site" },
    ];
    for (const headers of attempts) {
      const res = await victim.post("/portal/login", { code }, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie"), JSON.stringify(headers)).toBeNull();
    }
    // No Origin at all (the helper sends one with every form): built by hand.
    const bare = await new PortalClient().fetcher(
      new Request(`${ORIGIN}/portal/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `code=${code}`,
      }),
    );
    expect(bare.status).toBe(403);
    expect(bare.headers.get("set-cookie")).toBeNull();
    expect((await victim.get("/portal")).status).toBe(401);
    // The owner's own same-origin post still works: the refusals used nothing. A real browser sends
    // `Origin: null` there, because the portal's pages say Referrer-Policy: no-referrer.
    const owner = new PortalClient();
    expect(
      (await owner.post("/portal/login", { code }, { origin: "null", "sec-fetch-site": "same-origin" })).status,
    ).toBe(303);
  });

  it("a bad code posted from the portal's origin gets the same pages as before", async () => {
    const res = await new PortalClient().post(
      "/portal/login",
      { code: "ps_code_nope" },
      { "sec-fetch-site": "same-origin" },
    );
    expect(res.status).toBe(401);
    expect(res.html).toContain("This link is not valid");
    const none = await new PortalClient().post("/portal/login", {}, { "sec-fetch-site": "same-origin" });
    expect(none.status).toBe(401);
  });

  it("embedded: the link opened in the embedder's iframe shows the page, and the frame's own POST signs in", async () => {
    const tenant = await createTenant();
    const path = await link(tenant);
    const portal = "https://portal.example";
    const framed = new PortalClient(portal, workerWith({ PORTAL_FRAME_ANCESTORS: "https://dash.vendor.example" }));
    const page = await framed.get(path, { "sec-fetch-dest": "iframe", "sec-fetch-site": "cross-site" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors https://dash.vendor.example;");
    expect(page.headers.get("set-cookie")).toBeNull();
    // The form is submitted inside the frame, whose document is the portal's origin.
    const login = await framed.post(
      "/portal/login",
      { code: codeField(page.html)! },
      { "sec-fetch-dest": "iframe", "sec-fetch-site": "same-origin" },
    );
    expect(login.status).toBe(303);
    expect(login.headers.get("set-cookie")).toMatch(/SameSite=None.*Partitioned|Partitioned.*SameSite=None/i);
    expect((await framed.get("/portal")).status).toBe(200);
  });
});
