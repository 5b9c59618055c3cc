/**
 * Portal sessions: `POST .../portal-sessions` mints a token for one tenant. The token opens the
 * portal (magic link) and also works as a bearer key on that tenant's routes, read-only when the
 * session is. Stored as a SHA-256 hash; expires; revocable at once.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { newId, randomToken } from "../db/ids";
import { portalSessions } from "../db/schema";
import { notFound } from "../errors";
import { sha256Hex } from "../lib/crypto";
import type { ServiceCtx } from "./context";

export const PORTAL_TOKEN_PREFIX = "ps_tok_";
export const DEFAULT_PORTAL_TTL_S = 3600;
export const MAX_PORTAL_TTL_S = 7 * 24 * 3600;

export type PortalSessionRow = typeof portalSessions.$inferSelect;

export async function createPortalSession(ctx: ServiceCtx, tenantId: string, input: { expires_in_s?: number; read_only?: boolean }) {
  const now = Date.now();
  const token = `${PORTAL_TOKEN_PREFIX}${randomToken(32)}`;
  const row: PortalSessionRow = {
    id: newId("ps", now),
    tenantId,
    tokenHash: await sha256Hex(token),
    readOnly: input.read_only ?? false,
    expiresAt: now + (input.expires_in_s ?? DEFAULT_PORTAL_TTL_S) * 1000,
    revokedAt: null,
    createdAt: now,
  };
  await ctx.db.insert(portalSessions).values(row);
  const base = ctx.config.publicUrl || "";
  return { row, token, url: `${base}/portal/login?token=${token}` };
}

/** The live session a token names, or null (unknown, expired or revoked). */
export async function findPortalSession(db: Db, token: string, now = Date.now()): Promise<PortalSessionRow | null> {
  if (!token.startsWith(PORTAL_TOKEN_PREFIX)) return null;
  const hash = await sha256Hex(token);
  return (
    (await db
      .select()
      .from(portalSessions)
      .where(and(eq(portalSessions.tokenHash, hash), isNull(portalSessions.revokedAt), gt(portalSessions.expiresAt, now)))
      .get()) ?? null
  );
}

export async function revokePortalSession(ctx: ServiceCtx, tenantId: string, sessionId: string) {
  const row = await ctx.db
    .update(portalSessions)
    .set({ revokedAt: Date.now() })
    .where(and(eq(portalSessions.id, sessionId), eq(portalSessions.tenantId, tenantId), isNull(portalSessions.revokedAt)))
    .returning()
    .get();
  if (!row) throw notFound("portal session");
  return row;
}
