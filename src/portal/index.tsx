/** @jsxImportSource hono/jsx */
/**
 * The customer portal: server-rendered pages (Hono JSX) for one tenant, opened by a portal
 * session's one-time link. Pages call the same service verbs as the API; forms validate with the
 * API's own schemas. Read-only sessions get no forms, and the server refuses their POSTs.
 */
import { Hono, type Context } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { getDb } from "../db/client";
import { ApiError, type ErrorIssue } from "../errors";
import type { AppEnv } from "../http/context";
import { assertNotThrottled, authClient, noteAuthFailure } from "../http/auth-throttle";
import { TenantActionLimited } from "../services/tenant-action-limit";
import { errorFields, log } from "../lib/log";
import type { PortalSettings } from "../lib/portal-settings";
import { serviceCtx } from "../services/context";
import { exchangeLoginCode, revokePortalSession } from "../services/portal-sessions";
import { tenantEnvironment } from "../services/tenants";
import { limitedText } from "./action-limit";
import { registerPortalDeliveries } from "./deliveries";
import { registerPortalEndpoints } from "./endpoints";
import { registerPortalSecret } from "./secret";
import { registerPortalTestUrl } from "./test-url";
import { BrandMark, Layout } from "./layout";
import { clearSessionCookie, csrfMatches, csrfToken, sessionFromCookie, setSessionCookie, type PortalEnv } from "./session";

function Message(props: { title: string; text: string; brand: PortalSettings }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>
          {props.title} · {props.brand.brandName}
        </title>
        <style>
          {
            "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}.brand{display:flex;gap:.6rem;align-items:center;font-weight:600}.brand img{max-height:2rem;max-width:10rem}"
          }
        </style>
      </head>
      <body>
        <header>
          <BrandMark brand={props.brand} />
        </header>
        <main>
          <h1>{props.title}</h1>
          <p>{props.text}</p>
        </main>
      </body>
    </html>
  );
}

type MessageStatus = 200 | 400 | 401 | 403 | 404 | 410 | 429 | 500;
const messagePage = (c: Context<any, any>, status: MessageStatus, title: string, text: string) =>
  c.html(<Message title={title} text={text} brand={(c.get("config") as AppEnv["Variables"]["config"]).portal} />, status);

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

/**
 * Failed code redemptions count on AUTH_FAILURE_LIMITER like bad API keys (src/http/auth-throttle.ts,
 * one limiter and one penalty box per client): a client over the limit is refused before its code
 * is looked up (so a good code it holds stays unused) and before any D1 read.
 */
async function throttledLogin(c: Context<PortalEnv, any>, step: () => unknown): Promise<Response | null> {
  try {
    await step();
    return null;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "rate_limited") throw err;
    for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
    return messagePage(
      c,
      429,
      "Too many attempts",
      "Too many portal links that do not work were opened from this network. Wait a minute, then open your link again.",
    );
  }
}

/** Where a login link may be opened: a page or a frame, not an <img> or a script another site plants. */
const LOGIN_DESTINATIONS = new Set(["document", "iframe", "frame"]);

export function registerPortal(app: Hono<AppEnv>) {
  const portal = new Hono<PortalEnv>();

  portal.use("*", async (c, next) => {
    for (const [name, value] of Object.entries(securityHeaders(c.get("config").portal))) c.header(name, value);
    await next();
  });

  // The link: its one-time code becomes a cookie of its own, and the address bar keeps neither.
  portal.get("/login", async (c) => {
    const code = c.req.query("code");
    if (!code) {
      // The old links carried the bearer token (reusable, and a login CSRF); they open nothing now.
      return messagePage(c, 401, "This link is not valid", "Portal links carry a one-time code. Ask for a new link.");
    }
    const dest = c.req.header("sec-fetch-dest");
    if (dest && !LOGIN_DESTINATIONS.has(dest)) return messagePage(c, 403, "Refused", "Open this link in the browser's address bar.");
    const client = authClient((name) => c.req.header(name), code);
    const boxed = await throttledLogin(c, () => assertNotThrottled(client));
    if (boxed) return boxed;
    const db = getDb(c.env);
    const result = await exchangeLoginCode(db, code);
    if (result.ok) {
      setSessionCookie(c, result.cookie, result.session);
      return c.redirect("/portal", 303);
    }
    if (result.reason === "used") {
      // The same browser opening its link again (a reload, a framed page restored) is already in.
      const current = await sessionFromCookie(c);
      if (current && current.id === result.sessionId) return c.redirect("/portal", 303);
    }
    // Every other outcome is a failed redemption (unknown, revoked, expired, or used elsewhere).
    const throttled = await throttledLogin(c, () => noteAuthFailure(c.env, client));
    if (throttled) return throttled;
    if (result.reason === "used") {
      return messagePage(c, 410, "This link was already used", "Each portal link opens the portal once, in one browser. Ask for a new link.");
    }
    if (result.reason === "expired") return messagePage(c, 410, "This link has expired", "Portal links work for 10 minutes. Ask for a new link.");
    return messagePage(c, 401, "This link is not valid", "The link is not known, or it was revoked. Ask for a new link.");
  });

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
    if (!(await csrfMatches(c.get("csrf"), body._csrf))) return messagePage(c, 403, "Form expired", "Reload the page and try again.");
    // A read-only session may still sign itself out.
    if (c.get("session").readOnly && c.req.path !== "/portal/logout") return messagePage(c, 403, "Read-only", "This session can look but not change anything.");
    await next();
  });

  // Logout ends the session itself: the cookie, and the bearer token minted with it.
  portal.post("/logout", async (c) => {
    const session = c.get("session");
    await revokePortalSession(serviceCtx(c.env), session.tenantId, session.id);
    clearSessionCookie(c);
    return messagePage(c, 200, "Signed out", "Your portal session has ended. You can close this tab.");
  });

  registerPortalEndpoints(portal);
  registerPortalSecret(portal);
  registerPortalTestUrl(portal);
  registerPortalDeliveries(portal);

  portal.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 403) return messagePage(c, 403, "Refused", "This form did not come from the portal.");
    if (err instanceof ApiError && err.status === 404) return messagePage(c, 404, "Not found", "There is nothing here, or it belongs to someone else.");
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

export type PortalPage = { title: string; current?: "endpoints" | "deliveries" };

export function page(c: Context<PortalEnv, any>, meta: PortalPage, body: unknown, status: 200 | 201 | 400 | 429 = 200) {
  const s = c.get("session");
  return c.html(
    <Layout
      title={meta.title}
      tenantId={s.tenantId}
      readOnly={s.readOnly}
      sandbox={c.get("sandbox") === true}
      current={meta.current}
      brand={c.get("config").portal}
      csrf={c.get("csrf")}
    >
      {body as never}
    </Layout>,
    status,
  );
}

export type { ErrorIssue };
