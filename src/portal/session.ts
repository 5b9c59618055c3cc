/**
 * Portal browser sessions. The magic link's token moves into an HttpOnly, Secure, SameSite=Strict
 * cookie scoped to /portal; every request re-checks it against D1, so expiry and revocation take
 * effect on the next page. Forms carry a CSRF token derived from the session id (HMAC under a key
 * derived from ENCRYPTION_KEY), so it needs no storage and dies with the session.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { getDb } from "../db/client";
import { constantTimeEqual, hex } from "../lib/crypto";
import { findPortalSession, type PortalSessionRow } from "../services/portal-sessions";
import type { AppEnv } from "../http/context";

export const COOKIE = "eh_portal";

export type PortalEnv = AppEnv & { Variables: AppEnv["Variables"] & { session: PortalSessionRow; csrf: string } };

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

export function setSessionCookie(c: Context, token: string, session: PortalSessionRow) {
  setCookie(c, COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/portal",
    maxAge: Math.max(1, Math.floor((session.expiresAt - Date.now()) / 1000)),
  });
}

export function clearSessionCookie(c: Context) {
  deleteCookie(c, COOKIE, { path: "/portal", secure: true });
}

export async function sessionFromCookie(c: Context<PortalEnv, any>): Promise<PortalSessionRow | null> {
  const token = getCookie(c, COOKIE);
  if (!token) return null;
  return findPortalSession(getDb(c.env), token);
}
