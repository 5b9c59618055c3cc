/**
 * Embedding and branding (docs/contract.md "Portal"): PORTAL_FRAME_ANCESTORS opens framing to those origins
 * only; the brand name, logo and accent color are checked at config parse and escaped in pages.
 * The Worker runs with the changed vars through `workerWith` (the real app, the same D1).
 */
import { describe, expect, it } from "vitest";
import { parseAccentColor, parseFrameOrigin, parsePortalSettings, readableTextOn } from "../../src/lib/portal-settings";
import { createTenant } from "../helpers/api";
import { PortalClient, workerWith } from "../helpers/portal";

const csp = (h: Headers) => h.get("content-security-policy") ?? "";

async function openWith(vars: Partial<Record<keyof Env, string>>, origin = "https://portal.example") {
  const tenant = await createTenant();
  const opened = await PortalClient.open(tenant, {}, new PortalClient(origin, workerWith(vars)));
  return { tenant, ...opened };
}

describe("framing", () => {
  it("unset: no page can be framed (frame-ancestors 'none' and X-Frame-Options DENY), error pages included", async () => {
    const { client, login } = await openWith({});
    for (const res of [
      login,
      await client.get("/portal"),
      await client.get("/portal/nope"),
      await new PortalClient().get("/portal"),
    ]) {
      expect(csp(res.headers)).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
  });

  it("set: frame-ancestors names exactly those origins, with no X-Frame-Options, on every portal answer", async () => {
    const vars = {
      PORTAL_FRAME_ANCESTORS: "https://dash.vendor.example  https://*.acme.example:8443 https://dash.vendor.example/",
    };
    const { client, login } = await openWith(vars);
    const refused = await new PortalClient("https://portal.example", workerWith(vars)).get(
      "/portal/login?code=ps_code_nope",
    );
    for (const res of [login, await client.get("/portal"), await client.get("/portal/endpoints/new"), refused]) {
      expect(csp(res.headers)).toContain("frame-ancestors https://dash.vendor.example https://*.acme.example:8443;");
      expect(res.headers.get("x-frame-options")).toBeNull();
    }
    expect(refused.status).toBe(401);
  });

  it("the cookie is SameSite=None; Secure; Partitioned when framing is allowed, so it works in the embedder's iframe", async () => {
    const { login } = await openWith({ PORTAL_FRAME_ANCESTORS: "https://dash.vendor.example" });
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(/SameSite=None/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; Partitioned/i);
    expect(cookie).toMatch(/HttpOnly/i);
  });

  it("not embeddable: Lax, and Secure on https and loopback origins", async () => {
    for (const origin of ["https://portal.example", "http://127.0.0.1:8787", "http://localhost:8787"]) {
      const { login } = await openWith({}, origin);
      const cookie = login.headers.get("set-cookie")!;
      expect(cookie, origin).toMatch(/SameSite=Lax/i);
      expect(cookie, origin).toMatch(/; Secure/i);
      expect(cookie, origin).not.toMatch(/Partitioned/i);
    }
  });

  it("logout clears the cookie with the same attributes (a partitioned cookie is only deleted as partitioned)", async () => {
    const vars = { PORTAL_FRAME_ANCESTORS: "https://dash.vendor.example" };
    const { client } = await openWith(vars);
    const csrf = PortalClient.csrfOf((await client.get("/portal")).html);
    const out = await client.post("/portal/logout", { _csrf: csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0.*Partitioned|Partitioned.*Max-Age=0/i);
  });

  it("origins are validated at config parse: anything that is not an origin is refused, never copied into the CSP", () => {
    const bad = [
      "https://a.example/path",
      "https://a.example;script-src *",
      "'unsafe-inline'",
      "*",
      "https://*",
      "javascript:alert(1)",
      "https://user@a.example",
      "https://a.example:99999",
      "ftp://a.example",
      "https://a.example?x",
      "https://a..example",
      "http://dev.example",
    ];
    for (const origin of bad) expect(parseFrameOrigin(origin, false).ok, origin).toBe(false);
    expect(parseFrameOrigin("http://127.0.0.1:8831", true)).toEqual({ ok: true, origin: "http://127.0.0.1:8831" });
    expect(parseFrameOrigin("HTTPS://Dash.Vendor.Example/", false)).toEqual({
      ok: true,
      origin: "https://dash.vendor.example",
    });
    const { settings, issues } = parsePortalSettings(
      { PORTAL_FRAME_ANCESTORS: `https://ok.example ${bad.join(" ")}` },
      false,
    );
    expect(settings.frameAncestors).toEqual(["https://ok.example"]);
    expect(issues.length).toBeGreaterThanOrEqual(bad.length - 2);
    expect(issues.every((i) => i.fatal)).toBe(true);
  });

  // Was: dropped, leaving the portal unframeable. Now the Worker refuses to start with it
  // (test/security/operator-settings.test.ts); a request that reaches it anyway gets no portal.
  it("an invalid value serves no portal at all rather than one framed otherwise than meant", async () => {
    const { client } = await openWith({ PORTAL_FRAME_ANCESTORS: "https://a.example;frame-ancestors *" });
    const res = await client.get("/portal");
    expect(res.status).toBe(500);
    expect(csp(res.headers)).not.toContain("frame-ancestors *");
  });
});

describe("branding", () => {
  it("shows the brand name, logo and accent color, and lets the logo's origin (only) load images", async () => {
    const vars = {
      PORTAL_BRAND_NAME: "Acme Hooks",
      PORTAL_LOGO_URL: "https://cdn.acme.example/logo.png",
      PORTAL_ACCENT_COLOR: "#0A7",
    };
    const { client } = await openWith(vars);
    const res = await client.get("/portal");
    expect(res.html).toContain("<strong>Acme Hooks</strong>");
    expect(res.html).toContain("<title>Endpoints · Acme Hooks</title>");
    expect(res.html).toContain('<img src="https://cdn.acme.example/logo.png" alt=""/>');
    expect(res.html).toContain(":root{--accent:#00aa77;--accent-fg:#000000}");
    expect(csp(res.headers)).toContain("img-src https://cdn.acme.example;");
    // Message pages carry the brand too.
    // The brand replaces the default name in the header, not beside it ("Webhooks Acme Hooks" before).
    expect(/<header>([\s\S]*?)<\/header>/.exec(res.html)![1]).not.toContain("Webhooks");
    const gone = await new PortalClient("https://portal.example", workerWith(vars)).get("/portal");
    expect(gone.html).toContain("Acme Hooks");
  });

  it("defaults: 'Webhooks', no logo, no img-src", async () => {
    const { client } = await openWith({});
    const res = await client.get("/portal");
    expect(res.html).toContain("<strong>Webhooks</strong>");
    // The header names the portal once ("Webhooks Webhooks" before).
    const header = /<header>([\s\S]*?)<\/header>/.exec(res.html)![1]!;
    expect(header.match(/Webhooks/g)).toHaveLength(1);
    expect(res.html).not.toContain("<img");
    expect(csp(res.headers)).not.toContain("img-src");
  });

  it("a brand name is text: markup in it is escaped", async () => {
    const { client } = await openWith({ PORTAL_BRAND_NAME: `<script>alert(1)</script>"&'` });
    const res = await client.get("/portal");
    expect(res.html).not.toContain("<script>");
    expect(res.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;");
  });

  it("refuses colors that are not #rgb/#rrggbb, logos that are not https (http only on a dev deployment)", async () => {
    for (const color of [
      "red",
      "#12345",
      "#1234567",
      "#0a7;}body{display:none",
      "rgb(1,2,3)",
      "#0a7</style><script>",
      "expression(alert(1))",
      "#ggg",
    ]) {
      expect(parseAccentColor(color), color).toBeNull();
    }
    expect(parseAccentColor(" #ABCDEF ")).toBe("#abcdef");
    expect(readableTextOn("#2457d6")).toBe("#ffffff");
    expect(readableTextOn("#ffee00")).toBe("#000000");
    const logos: [string, boolean, boolean][] = [
      ["https://cdn.example/logo.svg", false, true],
      ["http://cdn.example/logo.svg", false, false],
      ["http://127.0.0.1:8831/logo.svg", true, true],
      ["javascript:alert(1)", true, false],
      ["data:image/svg+xml,<svg onload=alert(1)>", true, false],
      ["https://user:pw@cdn.example/logo.svg", false, false],
      ["not a url", false, false],
    ];
    for (const [url, dev, ok] of logos)
      expect(parsePortalSettings({ PORTAL_LOGO_URL: url }, dev).settings.logoUrl !== null, url).toBe(ok);
    const { settings, issues } = parsePortalSettings(
      { PORTAL_ACCENT_COLOR: "#0a7;}body{display:none", PORTAL_BRAND_NAME: "x".repeat(61) },
      false,
    );
    expect(settings.accentColor).toBe("#2457d6");
    expect(settings.brandName).toBe("Webhooks");
    expect(issues.map((i) => i.name).sort()).toEqual(["PORTAL_ACCENT_COLOR", "PORTAL_BRAND_NAME"]);
    // A bad color falls back to the default on the page; a bad logo is refused at start (fatal).
    const { client } = await openWith({ PORTAL_ACCENT_COLOR: "#0a7;}body{display:none" });
    const res = await client.get("/portal");
    expect(res.status).toBe(200);
    expect(res.html).not.toContain("body{display:none");
    expect(parsePortalSettings({ PORTAL_LOGO_URL: "http://cdn.example/logo.svg" }, false).issues).toEqual([
      expect.objectContaining({ name: "PORTAL_LOGO_URL", fatal: true }),
    ]);
  });
});
