/**
 * Portal browser sessions. The link's one-time login code is exchanged for a cookie secret of its
 * own (never the bearer token), HttpOnly and scoped to /portal; every request re-checks it against
 * D1, so expiry, revocation and logout take effect on the next page. SameSite is Lax for a portal
 * opened on its own (a link followed from the vendor's dashboard still lands signed in; Strict
 * would drop the cookie after the cross-site redirect), and `None; Secure; Partitioned` when
 * PORTAL_FRAME_ANCESTORS lets other sites frame it, so the cookie works inside their iframe and
 * lives in that site's partition only. Forms carry a CSRF token derived from the session id (HMAC
 * under a key derived from ENCRYPTION_KEY), so it needs no storage and dies with the session.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { getDb } from "../db/client";
import type { AppEnv } from "../http/context";
import { constantTimeEqual, hex } from "../lib/crypto";
import { findPortalSessionByCookie, type PortalSessionRow } from "../services/portal-sessions";

export const COOKIE = "eh_portal";

export type PortalEnv = AppEnv & {
  Variables: AppEnv["Variables"] & { session: PortalSessionRow; csrf: string; sandbox?: boolean };
};

const csrfKeys = new Map<string, Promise<CryptoKey>>();

function csrfKey(encryptionKey: string) {
  let key = csrfKeys.get(encryptionKey);
  if (!key) {
    key = crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(`edgehooks-portal-csrf:${encryptionKey}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
    csrfKeys.set(encryptionKey, key);
  }
  return key;
}

export async function csrfToken(encryptionKey: string | undefined, sessionId: string): Promise<string> {
  const key = await csrfKey(encryptionKey ?? "");
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(sessionId))));
}

/**
 * Compares hashes, not the raw strings: a submitted value of the same length in UTF-16 but not in
 * UTF-8 (a non-ASCII `_csrf`) made timingSafeEqual throw, which answered 500 instead of 403.
 */
export async function csrfMatches(expected: string, given: unknown): Promise<boolean> {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  return constantTimeEqual(expected, given);
}

/** Browsers keep Secure cookies only from https or a loopback origin (a potentially trustworthy one). */
function originAllowsSecure(url: string) {
  const { protocol, hostname } = new URL(url);
  return (
    protocol === "https:" ||
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "127.0.0.1" ||
    hostname === "[::1]"
  );
}

/** The cookie's attributes for this deployment and origin (deleting needs the same ones). */
export function cookieOptions(c: Context<any, any>): CookieOptions {
  const secure = originAllowsSecure(c.req.url);
  const embeddable = c.get("config").portal.frameAncestors.length > 0;
  // SameSite=None needs Secure; on a plain-http dev origin the embedded case falls back to Lax.
  if (embeddable && secure)
    return { httpOnly: true, secure: true, sameSite: "None", partitioned: true, path: "/portal" };
  return { httpOnly: true, secure, sameSite: "Lax", path: "/portal" };
}

export function setSessionCookie(c: Context<any, any>, cookie: string, session: PortalSessionRow) {
  setCookie(c, COOKIE, cookie, {
    ...cookieOptions(c),
    maxAge: Math.max(1, Math.floor((session.expiresAt - Date.now()) / 1000)),
  });
}

export function clearSessionCookie(c: Context<any, any>) {
  deleteCookie(c, COOKIE, cookieOptions(c));
}

export async function sessionFromCookie(c: Context<any, any>): Promise<PortalSessionRow | null> {
  const cookie = getCookie(c, COOKIE);
  if (!cookie) return null;
  return findPortalSessionByCookie(getDb(c.env), cookie);
}
