/** @jsxImportSource hono/jsx */
/**
 * The customer portal: server-rendered pages (Hono JSX) for one tenant, opened by a portal
 * session's magic link. Pages call the same service verbs as the API; forms validate with the
 * API's own schemas. Read-only sessions get no forms, and the server refuses their POSTs.
 */
import { Hono, type Context } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { getDb } from "../db/client";
import { ApiError, type ErrorIssue } from "../errors";
import type { AppEnv } from "../http/context";
import { log } from "../lib/log";
import { findPortalSession } from "../services/portal-sessions";
import { tenantEnvironment } from "../services/tenants";
import { registerPortalDeliveries } from "./deliveries";
import { registerPortalEndpoints } from "./endpoints";
import { registerPortalSecret } from "./secret";
import { registerPortalTestUrl } from "./test-url";
import { Layout } from "./layout";
import { clearSessionCookie, csrfMatches, csrfToken, sessionFromCookie, setSessionCookie, type PortalEnv } from "./session";

function Message(props: { title: string; text: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style>{"body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}"}</style>
      </head>
      <body>
        <main>
          <h1>{props.title}</h1>
          <p>{props.text}</p>
        </main>
      </body>
    </html>
  );
}

const messagePage = (c: Context, status: 401 | 403 | 404 | 400 | 500, title: string, text: string) => c.html(<Message title={title} text={text} />, status);

export function registerPortal(app: Hono<AppEnv>) {
  const portal = new Hono<PortalEnv>();

  // The magic link: the token moves into the cookie and out of the address bar.
  portal.get("/login", async (c) => {
    const token = c.req.query("token") ?? "";
    const session = await findPortalSession(getDb(c.env), token);
    c.header("referrer-policy", "no-referrer");
    if (!session) return messagePage(c, 401, "This link is not valid", "The link has expired or was revoked. Ask for a new one.");
    setSessionCookie(c, token, session);
    return c.redirect("/portal", 303);
  });

  portal.post("/logout", async (c) => {
    clearSessionCookie(c);
    return messagePage(c, 200 as 400, "Signed out", "You can close this tab.");
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
    c.header("cache-control", "no-store");
    c.header("x-frame-options", "DENY");
    c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    await next();
  });

  // Cross-site form posts are refused twice: by Origin (hono/csrf) and by the per-session token.
  portal.use("*", csrf());
  portal.use("*", async (c, next) => {
    if (c.req.method !== "POST") return next();
    if (c.get("session").readOnly) return messagePage(c, 403, "Read-only", "This session can look but not change anything.");
    const body = await c.req.parseBody({ all: true });
    if (!(await csrfMatches(c.get("csrf"), body._csrf))) return messagePage(c, 403, "Form expired", "Reload the page and try again.");
    await next();
  });

  registerPortalEndpoints(portal);
  registerPortalSecret(portal);
  registerPortalTestUrl(portal);
  registerPortalDeliveries(portal);

  portal.onError((err, c) => {
    if (err instanceof HTTPException && err.status === 403) return messagePage(c, 403, "Refused", "This form did not come from the portal.");
    if (err instanceof ApiError && err.status === 404) return messagePage(c, 404, "Not found", "There is nothing here, or it belongs to someone else.");
    if (err instanceof ApiError && err.status < 500) return messagePage(c, err.status as 400, "That did not work", err.message);
    log.error("portal error", { request_id: c.get("requestId"), error: String(err) });
    return messagePage(c, 500, "Something went wrong", `Try again later. Reference: ${c.get("requestId") ?? ""}`);
  });
  portal.notFound((c) => messagePage(c, 404, "Not found", "There is nothing here."));

  app.route("/portal", portal);
}

export type PortalPage = { title: string; current?: "endpoints" | "deliveries" };

export function page(c: Context<PortalEnv, any>, meta: PortalPage, body: unknown, status: 200 | 201 | 400 = 200) {
  const s = c.get("session");
  return c.html(
    <Layout title={meta.title} tenantId={s.tenantId} readOnly={s.readOnly} sandbox={c.get("sandbox") === true} current={meta.current}>
      {body as never}
    </Layout>,
    status,
  );
}

export type { ErrorIssue };
