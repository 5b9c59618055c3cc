import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, forbidPortal } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { iso } from "../../lib/time";
import {
  createPortalSession,
  DEFAULT_PORTAL_TTL_S,
  MAX_PORTAL_TTL_S,
  revokePortalSession,
} from "../../services/portal-sessions";
import { getTenant } from "../../services/tenants";
import { idParam, TenantIdParam, Timestamp } from "../common";

const tags = ["Portal"];

const CreatePortalSessionInput = z
  .strictObject({
    expires_in_s: z
      .number()
      .int()
      .min(60)
      .max(MAX_PORTAL_TTL_S)
      .optional()
      .openapi({ description: `Lifetime, 60 s .. 7 days; default ${DEFAULT_PORTAL_TTL_S}.` }),
    read_only: z.boolean().optional().openapi({ description: "See everything, change nothing." }),
  })
  .openapi("CreatePortalSessionInput");

const PortalSessionSchema = z
  .object({
    id: z.string().openapi({ example: "ps_01jd0000000000000000000000" }),
    url: z.string().openapi({
      description:
        "Opens the tenant's portal in a browser (or an iframe of an origin in PORTAL_FRAME_ANCESTORS): a page naming the tenant, whose button signs in (the link alone signs nobody in). Carries a one-time login code, valid 10 minutes and used once, never the token.",
    }),
    token: z
      .string()
      .openapi({ description: "A bearer key for this tenant's routes (read-only when the session is). Shown once." }),
    read_only: z.boolean(),
    expires_at: Timestamp,
  })
  .openapi("PortalSession");

export function registerPortalSessionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/portal-sessions",
      tags,
      operationId: "createPortalSession",
      summary: "Create a portal session (a magic link for one tenant)",
      request: {
        params: z.object({ tenant_id: TenantIdParam }),
        body: { ...jsonBody(CreatePortalSessionInput), required: false },
      },
      responses: { 201: jsonResponse(PortalSessionSchema, "The session, its link and token.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      forbidPortal(authorize(c, "admin", tenant_id), "create portal sessions");
      const ctx = c.var.services;
      await getTenant(ctx.db, tenant_id);
      const base = ctx.config.publicUrl || new URL(c.req.url).origin;
      const { row, token, url } = await createPortalSession(
        { ...ctx, config: { ...ctx.config, publicUrl: base } },
        tenant_id,
        c.req.valid("json") ?? {},
      );
      return c.json({ id: row.id, url, token, read_only: row.readOnly, expires_at: iso(row.expiresAt) }, 201);
    },
  );

  app.openapi(
    apiRoute({
      method: "delete",
      path: "/v1/tenants/{tenant_id}/portal-sessions/{session_id}",
      tags,
      operationId: "revokePortalSession",
      summary: "Revoke a portal session (takes effect at once)",
      request: { params: z.object({ tenant_id: TenantIdParam, session_id: idParam("session_id", "ps") }) },
      responses: { 204: { description: "Revoked." } },
    }),
    async (c) => {
      const { tenant_id, session_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      await revokePortalSession(c.var.services, tenant_id, session_id);
      return c.body(null, 204);
    },
  );
}
