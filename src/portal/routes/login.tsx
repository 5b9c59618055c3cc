/** @jsxImportSource hono/jsx */
/**
 * Signing in with a portal link, in two steps so that a link alone signs nobody in (login CSRF:
 * an attacker who navigates a victim's browser to a link of the attacker's own tenant must not
 * get that browser signed into it, reading what the victim then types in).
 * - `GET /portal/login?code=` answers a page naming the tenant the link opens, with one button.
 *   It sets no cookie and leaves the code unused.
 * - `POST /portal/login` (that button's form) exchanges the code for the session cookie, and only
 *   from the portal's own origin: `Sec-Fetch-Site`, which every current browser sends, must be
 *   `same-origin` when present, and `Origin` this origin (see fromThisOrigin). Another site's auto-submitted form
 *   fails both. Inside the embedder's iframe the form posts from the frame's document, the
 *   portal's origin, so the embedded portal keeps working.
 * Failed codes (unknown, revoked, expired, used by another browser) count on the auth throttle
 * at either step (src/http/auth-throttle.ts).
 */
import type { Context, Hono } from "hono";
import { getDb } from "../../db/client";
import { ApiError } from "../../errors";
import { type AuthClient, assertNotThrottled, authClient, noteAuthFailure } from "../../http/auth-throttle";
import { exchangeLoginCode, type LoginPeek, peekLoginCode } from "../../services/portal-sessions";
import { Message, messagePage } from "../message";
import { type PortalEnv, sessionFromCookie, setSessionCookie } from "../session";

/** Where a login link may be opened: a page or a frame, not an <img> or a script another site plants. */
const LOGIN_DESTINATIONS = new Set(["document", "iframe", "frame"]);

/**
 * A throttled client is refused with a 429 page before its code is looked up (a link that keeps
 * failing costs nothing more); each failure is counted.
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

/** The page for a code that opens nothing, after counting the failure. */
async function failedCode(
  c: Context<PortalEnv, any>,
  client: AuthClient | null,
  result: Exclude<LoginPeek, { ok: true }>,
) {
  if (result.reason === "used") {
    // The same browser opening its link again (a reload, a framed page restored) is already in.
    const current = await sessionFromCookie(c);
    if (current && current.id === result.sessionId) return c.redirect("/portal", 303);
  }
  // Every other outcome is a failed redemption (unknown, revoked, expired, or used elsewhere).
  const throttled = await throttledLogin(c, () => noteAuthFailure(c.env, client));
  if (throttled) return throttled;
  if (result.reason === "used") {
    return messagePage(
      c,
      410,
      "This link was already used",
      "Each portal link opens the portal once, in one browser. Ask for a new link.",
    );
  }
  if (result.reason === "expired")
    return messagePage(c, 410, "This link has expired", "Portal links work for 10 minutes. Ask for a new link.");
  return messagePage(c, 401, "This link is not valid", "The link is not known, or it was revoked. Ask for a new link.");
}

/**
 * Whether a POST comes from a page of this origin. `Sec-Fetch-Site` is set by the browser, never
 * by a page: when sent it must say `same-origin`, and `Origin` must then be this origin or
 * `null` (the portal's pages say `Referrer-Policy: no-referrer`, under which browsers send
 * `Origin: null` even on a same-origin POST). A browser that sends no `Sec-Fetch-Site` must send
 * this exact `Origin`.
 */
function fromThisOrigin(c: Context<PortalEnv, any>): boolean {
  const origin = c.req.header("origin");
  const own = new URL(c.req.url).origin;
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin" && (origin === own || origin === "null");
  return origin === own;
}

export function registerPortalLogin(portal: Hono<PortalEnv>) {
  portal.get("/login", async (c) => {
    const code = c.req.query("code");
    if (!code) {
      // The old links carried the bearer token (reusable, and a login CSRF); they open nothing now.
      return messagePage(c, 401, "This link is not valid", "Portal links carry a one-time code. Ask for a new link.");
    }
    const dest = c.req.header("sec-fetch-dest");
    if (dest && !LOGIN_DESTINATIONS.has(dest))
      return messagePage(c, 403, "Refused", "Open this link in the browser's address bar.");
    const client = authClient((name) => c.req.header(name), code);
    const boxed = await throttledLogin(c, () => assertNotThrottled(client));
    if (boxed) return boxed;
    const result = await peekLoginCode(getDb(c.env), code);
    if (!result.ok) return failedCode(c, client, result);
    const { session, tenantName } = result;
    return c.html(
      <Message
        title="Open the webhooks portal"
        text="This link opens the webhooks portal of the account below. Continue only if it is yours: everything you enter there belongs to it."
        brand={c.get("config").portal}
      >
        <p>
          <span class="tenant">{tenantName}</span> <span class="muted">({session.tenantId})</span>
          {session.readOnly ? <span class="muted"> · read-only</span> : null}
        </p>
        <form method="post" action="/portal/login">
          <input type="hidden" name="code" value={code} />
          <button type="submit">Open the portal</button>
        </form>
      </Message>,
      200,
    );
  });

  portal.post("/login", async (c) => {
    if (!fromThisOrigin(c)) return messagePage(c, 403, "Refused", "Open the portal from the link you were given.");
    const body = await c.req.parseBody();
    const code = typeof body.code === "string" ? body.code : "";
    if (!code)
      return messagePage(c, 401, "This link is not valid", "Portal links carry a one-time code. Ask for a new link.");
    const client = authClient((name) => c.req.header(name), code);
    const boxed = await throttledLogin(c, () => assertNotThrottled(client));
    if (boxed) return boxed;
    const result = await exchangeLoginCode(getDb(c.env), code);
    if (!result.ok) return failedCode(c, client, result);
    setSessionCookie(c, result.cookie, result.session);
    return c.redirect("/portal", 303);
  });
}
