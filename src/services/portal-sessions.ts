/**
 * Portal sessions: `POST .../portal-sessions` mints a session for one tenant with two credentials:
 * a bearer token (for that tenant's routes, read-only when the session is) and a one-time login
 * code that the link carries. Opening the link exchanges the code, once and within 10 minutes,
 * for a browser cookie of its own, so neither the address bar, the history nor a server log ever
 * holds something that still opens the portal. Everything is stored as a SHA-256 hash; a session
 * expires, and revoking it (the API's DELETE or the portal's logout) ends all three at once.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { newId, randomToken } from "../db/ids";
import { portalSessions, tenants } from "../db/schema";
import { notFound } from "../errors";
import { sha256Hex } from "../lib/crypto";
import type { ServiceCtx } from "./context";

export const PORTAL_TOKEN_PREFIX = "ps_tok_";
const LOGIN_CODE_PREFIX = "ps_code_";
const COOKIE_SECRET_PREFIX = "ps_ck_";
export const DEFAULT_PORTAL_TTL_S = 3600;
export const MAX_PORTAL_TTL_S = 7 * 24 * 3600;
/** How long the link's login code can be exchanged (docs/contract.md "Portal": 10 minutes), never past the session. */
export const LOGIN_CODE_TTL_MS = 10 * 60 * 1000;

export type PortalSessionRow = typeof portalSessions.$inferSelect;

export async function createPortalSession(
  ctx: ServiceCtx,
  tenantId: string,
  input: { expires_in_s?: number; read_only?: boolean },
  now = Date.now(),
) {
  const token = `${PORTAL_TOKEN_PREFIX}${randomToken(32)}`;
  const code = `${LOGIN_CODE_PREFIX}${randomToken(32)}`;
  const expiresAt = now + (input.expires_in_s ?? DEFAULT_PORTAL_TTL_S) * 1000;
  const row: PortalSessionRow = {
    id: newId("ps", now),
    tenantId,
    tokenHash: await sha256Hex(token),
    readOnly: input.read_only ?? false,
    expiresAt,
    revokedAt: null,
    createdAt: now,
    loginCodeHash: await sha256Hex(code),
    loginCodeExpiresAt: Math.min(expiresAt, now + LOGIN_CODE_TTL_MS),
    loginCodeUsedAt: null,
    cookieHash: null,
  };
  await ctx.db.insert(portalSessions).values(row);
  const base = ctx.config.publicUrl || "";
  return { row, token, url: `${base}/portal/login?code=${code}` };
}

/** The live session a bearer token names, or null (unknown, expired or revoked). */
export async function findPortalSession(db: Db, token: string, now = Date.now()): Promise<PortalSessionRow | null> {
  if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return null;
  return liveSessionBy(db, portalSessions.tokenHash, await sha256Hex(token), now);
}

/** The live session a browser cookie names, or null. */
export async function findPortalSessionByCookie(
  db: Db,
  cookie: string,
  now = Date.now(),
): Promise<PortalSessionRow | null> {
  if (!cookie.startsWith(COOKIE_SECRET_PREFIX)) return null;
  return liveSessionBy(db, portalSessions.cookieHash, await sha256Hex(cookie), now);
}

async function liveSessionBy(
  db: Db,
  column: typeof portalSessions.tokenHash | typeof portalSessions.cookieHash,
  hash: string,
  now: number,
) {
  return (
    (await db
      .select()
      .from(portalSessions)
      .where(and(eq(column, hash), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, now)))
      .get()) ?? null
  );
}

type LoginExchange =
  | { ok: true; session: PortalSessionRow; cookie: string }
  /** `used`: the code was exchanged before; `expired`: its 10 minutes (or the session) are over; `invalid`: unknown or revoked. */
  | { ok: false; reason: "used" | "expired" | "invalid"; sessionId?: string };

/**
 * Exchanges a login code for a new cookie secret. One conditional UPDATE marks the code used and
 * stores the cookie's hash, so two browsers racing with the same link cannot both win.
 */
export async function exchangeLoginCode(db: Db, code: string, now = Date.now()): Promise<LoginExchange> {
  if (!code.startsWith(LOGIN_CODE_PREFIX) || code.length > 100) return { ok: false, reason: "invalid" };
  const codeHash = await sha256Hex(code);
  const cookie = `${COOKIE_SECRET_PREFIX}${randomToken(32)}`;
  const session = await db
    .update(portalSessions)
    .set({ loginCodeUsedAt: now, cookieHash: await sha256Hex(cookie) })
    .where(
      and(
        eq(portalSessions.loginCodeHash, codeHash),
        isNull(portalSessions.loginCodeUsedAt),
        gt(portalSessions.loginCodeExpiresAt, now),
        isNull(portalSessions.revokedAt),
        gt(portalSessions.expiresAt, now),
      ),
    )
    .returning()
    .get();
  if (session) return { ok: true, session, cookie };
  // Why it failed, for a page that says so.
  const row = await db.select().from(portalSessions).where(eq(portalSessions.loginCodeHash, codeHash)).get();
  if (!row || row.revokedAt !== null) return { ok: false, reason: "invalid" };
  if (row.loginCodeUsedAt !== null) return { ok: false, reason: "used", sessionId: row.id };
  return { ok: false, reason: "expired", sessionId: row.id };
}

export type LoginPeek =
  | { ok: true; session: PortalSessionRow; tenantName: string }
  | { ok: false; reason: "used" | "expired" | "invalid"; sessionId?: string };

/**
 * What a login code would open, without using it: the page a GET of the link answers names the
 * tenant, and only that page's same-origin form exchanges the code (the login CSRF guard).
 * The same outcomes as exchangeLoginCode, read with one query.
 */
export async function peekLoginCode(db: Db, code: string, now = Date.now()): Promise<LoginPeek> {
  if (!code.startsWith(LOGIN_CODE_PREFIX) || code.length > 100) return { ok: false, reason: "invalid" };
  const found = await db
    .select({ session: portalSessions, tenantName: tenants.name })
    .from(portalSessions)
    .innerJoin(tenants, eq(tenants.id, portalSessions.tenantId))
    .where(eq(portalSessions.loginCodeHash, await sha256Hex(code)))
    .get();
  if (!found || found.session.revokedAt !== null) return { ok: false, reason: "invalid" };
  const row = found.session;
  if (row.loginCodeUsedAt !== null) return { ok: false, reason: "used", sessionId: row.id };
  if ((row.loginCodeExpiresAt ?? 0) <= now || row.expiresAt <= now)
    return { ok: false, reason: "expired", sessionId: row.id };
  return { ok: true, session: row, tenantName: found.tenantName };
}

export async function revokePortalSession(ctx: ServiceCtx, tenantId: string, sessionId: string) {
  const row = await ctx.db
    .update(portalSessions)
    .set({ revokedAt: Date.now() })
    .where(
      and(eq(portalSessions.id, sessionId), eq(portalSessions.tenantId, tenantId), isNull(portalSessions.revokedAt)),
    )
    .returning()
    .get();
  if (!row) throw notFound("portal session");
  return row;
}
