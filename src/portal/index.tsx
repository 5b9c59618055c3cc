/** @jsxImportSource hono/jsx */
/**
 * The customer portal: server-rendered pages (Hono JSX) for one tenant, opened by a portal
 * session's one-time link. Pages call the same service verbs as the API; forms validate with the
 * API's own schemas. Read-only sessions get no forms, and the server refuses their POSTs.
 *
 * Laid out in three parts below this file, which wires them: routes/ (one file per resource:
 * validate, call one verb, render), pages/ (the views, the layout and its `page()` included) and
 * form-input/ (pure: submitted fields to the API's input schemas, issues in a customer's words).
 */
import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { getDb } from "../db/client";
import { ApiError, type ErrorIssue } from "../errors";
import type { AppEnv } from "../http/context";
import { errorFields, log } from "../lib/log";
import type { PortalSettings } from "../lib/portal-settings";
import { revokePortalSession } from "../services/portal-sessions";
import { TenantActionLimited } from "../services/tenant-action-limit";
import { tenantEnvironment } from "../services/tenants";
import { messagePage } from "./message";
import { limitedText } from "./pages/action-limit";
import { registerPortalDeliveries } from "./routes/deliveries";
import { registerPortalEndpoints } from "./routes/endpoints";
import { registerPortalLogin } from "./routes/login";
import { registerPortalReplays } from "./routes/replays";
import { registerPortalSecret } from "./routes/secret";
import { registerPortalTestUrl } from "./routes/test-url";
import { clearSessionCookie, csrfMatches, csrfToken, type PortalEnv, sessionFromCookie } from "./session";

/**
 * Headers on every portal answer, error pages included. Framing: only the origins in
 * PORTAL_FRAME_ANCESTORS (then without X-Frame-Options, which cannot name origins), else nobody.
 * Images: only the configured logo's origin.
 */
function securityHeaders(settings: PortalSettings) {
  const frame = settings.frameAncestors.length ? settings.frameAncestors.join(" ") : "'none'";
  const img = settings.logoUrl ? `; img-src ${new URL(settings.logoUrl).origin}` : "";
  return {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'${img}; form-action 'self'; frame-ancestors ${frame}; base-uri 'none'`,
    ...(settings.frameAncestors.length ? {} : { "x-frame-options": "DENY" }),
  };
}

export function registerPortal(app: Hono<AppEnv>) {
  const portal = new Hono<PortalEnv>();

  portal.use("*", async (c, next) => {
    for (const [name, value] of Object.entries(securityHeaders(c.get("config").portal))) c.header(name, value);
    await next();
  });

  // The link: a page naming the tenant, then its same-origin form signs in (src/portal/routes/login.tsx).
  registerPortalLogin(portal);

  portal.use("*", async (c, next) => {
    const session = await sessionFromCookie(c);
    if (!session) {
      clearSessionCookie(c);
      return messagePage(c, 401, "Your session has ended", "Open the portal again from the link you were given.");
    }
    c.set("session", session);
    c.set("csrf", await csrfToken(c.env.ENCRYPTION_KEY, session.id));
    // Shown in the header, so a customer always knows a sandbox from production.
    c.set("sandbox", (await tenantEnvironment(getDb(c.env), session.tenantId).catch(() => "production")) === "sandbox");
    await next();
  });

  // Cross-site form posts are refused twice: by Origin (hono/csrf) and by the per-session token.
  portal.use("*", csrf());
  portal.use("*", async (c, next) => {
    if (c.req.method !== "POST") return next();
    const body = await c.req.parseBody({ all: true });
    if (!(await csrfMatches(c.get("csrf"), body._csrf)))
      return messagePage(c, 403, "Form expired", "Reload the page and try again.");
    // A read-only session may still sign itself out.
    if (c.get("session").readOnly && c.req.path !== "/portal/logout")
      return messagePage(c, 403, "Read-only", "This session can look but not change anything.");
    await next();
  });

  // Logout ends the session itself: the cookie, and the bearer token minted with it.
  portal.post("/logout", async (c) => {
    const session = c.get("session");
    await revokePortalSession(c.var.services, session.tenantId, session.id);
    clearSessionCookie(c);
    return messagePage(c, 200, "Signed out", "Your portal session has ended. You can close this tab.");
  });

  registerPortalEndpoints(portal);
  registerPortalSecret(portal);
  registerPortalTestUrl(portal);
  registerPortalDeliveries(portal);
  registerPortalReplays(portal);

  portal.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 403)
      return messagePage(c, 403, "Refused", "This form did not come from the portal.");
    if (err instanceof ApiError && err.status === 404)
      return messagePage(c, 404, "Not found", "There is nothing here, or it belongs to someone else.");
    if (err instanceof ApiError && err.status < 500) {
      // Retry-After on a 429 (a limited action, a throttled login) reaches the browser too.
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      if (err instanceof TenantActionLimited) return messagePage(c, 429, "Slow down", limitedText(err));
      return messagePage(c, err.status as 400, "That did not work", err.message);
    }
    log.error("portal error", { request_id: c.get("requestId"), ...errorFields(err) });
    return messagePage(c, 500, "Something went wrong", `Try again later. Reference: ${c.get("requestId") ?? ""}`);
  });
  portal.notFound((c) => messagePage(c, 404, "Not found", "There is nothing here."));

  app.route("/portal", portal);
}

/** Re-exported where it was declared before page() moved into the layout: test/node/unused-exports.test.ts lists it; drop both together. */
export type { PortalPage } from "./pages/layout";
export type { ErrorIssue };
