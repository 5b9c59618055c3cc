import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, forbidPortal, principalTenant } from "../../auth/guard";
import { getDb } from "../../db/client";
import { notFound } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonBody, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { apiKeyView, assertTenantKeyQuota, createApiKey, listApiKeys, revokeApiKey } from "../../services/api-keys";
import { getTenant } from "../../services/tenants";
import { idParam } from "../common";
import { ApiKeySchema, CreateApiKeyInput, CreatedApiKeySchema } from "./schema";

const tags = ["API keys"];

export function registerApiKeyRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/api-keys",
      tags,
      operationId: "createApiKey",
      summary: "Create an API key (shown once)",
      request: { body: jsonBody(CreateApiKeyInput) },
      responses: {
        201: jsonResponse(CreatedApiKeySchema, "The key, with its secret value shown this once."),
        409: errorResponse(
          "A key bound to a tenant minting past MAX_KEYS_PER_TENANT (50) live keys for it; revoke one first.",
        ),
      },
    }),
    async (c) => {
      const principal = authorize(c, "admin");
      forbidPortal(principal, "manage API keys");
      const input = c.req.valid("json");
      const bound = principalTenant(principal);
      // A tenant-bound admin key can only mint keys bound to the same tenant.
      const tenantId = bound ?? input.tenant_id ?? null;
      if (bound && input.tenant_id && input.tenant_id !== bound) throw notFound("tenant");
      if (tenantId) await getTenant(getDb(c.env), tenantId);
      if (bound) await assertTenantKeyQuota(getDb(c.env), bound);
      const { row, key } = await createApiKey(getDb(c.env), { ...input, tenant_id: tenantId });
      return c.json({ ...apiKeyView(row), key }, 201);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/api-keys",
      tags,
      operationId: "listApiKeys",
      summary: "List live API keys",
      request: { query: z.object(PaginationQuery) },
      responses: { 200: jsonResponse(paginated(ApiKeySchema), "A page of keys, newest first.") },
    }),
    async (c) => {
      const principal = authorize(c, "admin");
      forbidPortal(principal, "manage API keys");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listApiKeys(getDb(c.env), {
        limit,
        before: decodeCursor(cursor),
        tenantId: principalTenant(principal),
      });
      const p = page(rows, limit);
      return c.json({ data: p.data.map(apiKeyView), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "delete",
      path: "/v1/api-keys/{key_id}",
      tags,
      operationId: "revokeApiKey",
      summary: "Revoke an API key (takes effect at once)",
      request: { params: z.object({ key_id: idParam("key_id", "key") }) },
      responses: { 204: { description: "Revoked." } },
    }),
    async (c) => {
      const principal = authorize(c, "admin");
      forbidPortal(principal, "manage API keys");
      await revokeApiKey(getDb(c.env), c.req.valid("param").key_id, principalTenant(principal));
      return c.body(null, 204);
    },
  );
}
