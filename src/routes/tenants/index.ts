import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, forbidPortal, isOperator, principalTenant } from "../../auth/guard";
import { getDb } from "../../db/client";
import { ApiError } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonBody, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { setTenantEnvironment } from "../../services/tenant-environment";
import {
  createTenant,
  deleteTenant,
  effectiveRetention,
  getTenant,
  listTenants,
  tenantView,
  updateTenant,
} from "../../services/tenants";
import { TENANT_ID_PATTERN, TenantIdParam } from "../common";
import { CreateTenantInput, TenantSchema, UpdateTenantInput } from "./schema";

const tags = ["Tenants"];
const TenantPath = z.object({ tenant_id: TenantIdParam });

export function registerTenantRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/v1/tenants",
        tags,
        operationId: "createTenant",
        summary: "Create a tenant",
        request: { body: jsonBody(CreateTenantInput) },
        responses: { 201: jsonResponse(TenantSchema, "The tenant.") },
      },
      { 409: "A tenant with this id already exists." },
    ),
    async (c) => {
      const principal = authorize(c, "admin");
      if (principalTenant(principal) !== null)
        throw new ApiError("forbidden", "a tenant-restricted key cannot create tenants");
      // A tenant-restricted key never gets here; a portal-scoped one neither (admin scope).
      const ctx = c.var.services;
      const row = await createTenant(ctx, c.req.valid("json"));
      return c.json(tenantView(row, ctx.config.retentionDays), 201);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants",
      tags,
      operationId: "listTenants",
      summary: "List tenants",
      request: { query: z.object(PaginationQuery) },
      responses: { 200: jsonResponse(paginated(TenantSchema), "A page of tenants, newest id first.") },
    }),
    async (c) => {
      const principal = authorize(c, "read");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listTenants(getDb(c.env), {
        limit,
        before: decodeCursor(cursor, TENANT_ID_PATTERN),
        onlyId: principalTenant(principal),
      });
      const p = page(rows, limit);
      const maxDays = c.get("config").retentionDays;
      return c.json({ data: p.data.map((r) => tenantView(r, maxDays)), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}",
      tags,
      operationId: "getTenant",
      summary: "Get a tenant",
      request: { params: TenantPath },
      responses: { 200: jsonResponse(TenantSchema, "The tenant.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      return c.json(tenantView(await getTenant(getDb(c.env), tenant_id), c.get("config").retentionDays), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "patch",
      path: "/v1/tenants/{tenant_id}",
      tags,
      operationId: "updateTenant",
      summary: "Update a tenant",
      request: { params: TenantPath, body: jsonBody(UpdateTenantInput) },
      responses: {
        200: jsonResponse(TenantSchema, "The updated tenant."),
        403: errorResponse(
          "The key lacks the admin scope, or a key bound to the tenant set `environment` or `log_shards` or lengthened `retention_days` (the root key's or an unbound admin key's to change).",
        ),
        409: errorResponse("Leaving the sandbox while endpoints still use http:// URLs."),
      },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      const principal = authorize(c, "admin", tenant_id);
      const { environment, ...patch } = c.req.valid("json");
      const ctx = c.var.services;
      // The sandbox lifts the https-only rule and retention is storage the operator pays for:
      // a key bound to the tenant may shorten its retention, never lengthen it or switch environment.
      if (!isOperator(principal)) {
        if (environment !== undefined)
          throw new ApiError(
            "forbidden",
            "only the root key or an admin key bound to no tenant may change a tenant's environment",
          );
        // Shards are objects (and their storage) the operator pays for, like retention.
        if (patch.log_shards !== undefined)
          throw new ApiError(
            "forbidden",
            "only the root key or an admin key bound to no tenant may change a tenant's log_shards",
          );
        if (
          patch.retention_days !== undefined &&
          patch.retention_days > effectiveRetention(await getTenant(ctx.db, tenant_id), ctx.config.retentionDays)
        ) {
          throw new ApiError(
            "forbidden",
            "only the root key or an admin key bound to no tenant may lengthen a tenant's retention_days",
          );
        }
      }
      if (environment !== undefined) await setTenantEnvironment(ctx, tenant_id, environment);
      return c.json(tenantView(await updateTenant(ctx, tenant_id, patch), ctx.config.retentionDays), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "delete",
      path: "/v1/tenants/{tenant_id}",
      tags,
      operationId: "deleteTenant",
      summary: "Delete a tenant with its endpoints, events, delivery log, API keys and portal sessions",
      request: { params: TenantPath },
      responses: { 204: { description: "Deleted." } },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      forbidPortal(authorize(c, "admin", tenant_id), "delete its tenant");
      await deleteTenant(c.var.services, tenant_id);
      return c.body(null, 204);
    },
  );
}
