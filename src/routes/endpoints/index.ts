import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { deploymentDefaults } from "../../attempts/deployment-defaults";
import { authorize } from "../../auth/guard";
import { EVENT_TYPE_PATTERN } from "../../delivery/match";
import { ENDPOINT_STATUSES } from "../../domain/endpoints";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonBody, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { attemptView } from "../../services/deliveries/query";
import { missedWhileDisabled } from "../../services/endpoint-missed";
import { urlSharedWarning } from "../../services/endpoint-url-share";
import {
  createEndpoint,
  deleteEndpoint,
  endpointView,
  getEndpoint,
  listEndpoints,
  setEndpointStatus,
  updateEndpoint,
} from "../../services/endpoints";
import { testEndpoint } from "../../services/endpoints-test";
import { idParam, TenantIdParam } from "../common";
import {
  AttemptSchema,
  CreatedEndpointSchema,
  CreateEndpointInput,
  EndpointSchema,
  EndpointWithMissedSchema,
  TestEndpointInput,
  UpdateEndpointInput,
} from "./schema";

const tags = ["Endpoints"];
const base = "/v1/tenants/{tenant_id}/endpoints";
const TenantPath = z.object({ tenant_id: TenantIdParam });
const EndpointPath = z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") });

export function registerEndpointRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: base,
      tags,
      operationId: "createEndpoint",
      summary: "Create an endpoint (answers its secret once)",
      request: { params: TenantPath, body: jsonBody(CreateEndpointInput) },
      responses: {
        201: jsonResponse(CreatedEndpointSchema, "The endpoint, with its signing secret shown this once."),
        409: errorResponse(
          "The tenant already has MAX_ENDPOINTS_PER_TENANT endpoints, or MAX_ENDPOINTS_PER_URL of them already send to this exact URL.",
        ),
      },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const { row, secret, sharing } = await createEndpoint(c.var.services, tenant_id, c.req.valid("json"));
      const warnings = urlSharedWarning(sharing);
      return c.json(
        { ...endpointView(row, deploymentDefaults(c.env)), secret, ...(warnings.length ? { warnings } : {}) },
        201,
      );
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: base,
      tags,
      operationId: "listEndpoints",
      summary: "List endpoints",
      request: {
        params: TenantPath,
        query: z.object({
          ...PaginationQuery,
          status: z.enum(ENDPOINT_STATUSES).optional(),
          event_type: z
            .string()
            .max(200)
            .regex(EVENT_TYPE_PATTERN)
            .optional()
            .openapi({ description: "Only endpoints that would receive this type." }),
        }),
      },
      responses: { 200: jsonResponse(paginated(EndpointSchema), "A page of endpoints, newest first.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const q = c.req.valid("query");
      const rows = await listEndpoints(c.var.services, tenant_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        status: q.status,
        eventType: q.event_type,
      });
      const p = page(rows, q.limit);
      return c.json(
        { data: p.data.map((row) => endpointView(row, deploymentDefaults(c.env))), next_cursor: p.next_cursor },
        200,
      );
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: `${base}/{endpoint_id}`,
      tags,
      operationId: "getEndpoint",
      summary: "Get an endpoint",
      request: { params: EndpointPath },
      responses: {
        200: jsonResponse(
          EndpointWithMissedSchema,
          "The endpoint (secrets and header values never shown), and what it missed while last disabled.",
        ),
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const row = await getEndpoint(c.var.services, tenant_id, endpoint_id);
      const missed = await missedWhileDisabled(c.var.services, row);
      return c.json({ ...endpointView(row, deploymentDefaults(c.env)), missed }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "patch",
      path: `${base}/{endpoint_id}`,
      tags,
      operationId: "updateEndpoint",
      summary: "Update an endpoint",
      request: { params: EndpointPath, body: jsonBody(UpdateEndpointInput) },
      responses: {
        200: jsonResponse(EndpointSchema, "The updated endpoint."),
        409: errorResponse("MAX_ENDPOINTS_PER_URL endpoints of the tenant already send to the new URL."),
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const ctx = c.var.services;
      const { row } = await updateEndpoint(ctx, tenant_id, endpoint_id, c.req.valid("json"));
      return c.json(endpointView(row, deploymentDefaults(c.env)), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "delete",
      path: `${base}/{endpoint_id}`,
      tags,
      operationId: "deleteEndpoint",
      summary: "Delete an endpoint (its pending deliveries are cancelled)",
      request: { params: EndpointPath },
      responses: { 204: { description: "Deleted." } },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      await deleteEndpoint(c.var.services, tenant_id, endpoint_id);
      return c.body(null, 204);
    },
  );

  for (const action of ["enable", "disable"] as const) {
    app.openapi(
      apiRoute({
        method: "post",
        path: `${base}/{endpoint_id}/${action}`,
        tags,
        operationId: action === "enable" ? "enableEndpoint" : "disableEndpoint",
        summary:
          action === "enable"
            ? "Enable an endpoint (held deliveries resume)"
            : "Disable an endpoint (pending deliveries are held)",
        request: { params: EndpointPath },
        responses: {
          200:
            action === "enable"
              ? jsonResponse(EndpointWithMissedSchema, "The endpoint, and what it missed while disabled.")
              : jsonResponse(EndpointSchema, "The endpoint."),
        },
      }),
      async (c) => {
        const { tenant_id, endpoint_id } = c.req.valid("param");
        authorize(c, "admin", tenant_id);
        const { row } = await setEndpointStatus(
          c.var.services,
          tenant_id,
          endpoint_id,
          action === "enable" ? "active" : "disabled",
          "manual",
        );
        const view = endpointView(row, deploymentDefaults(c.env));
        if (action === "disable") return c.json(view, 200);
        return c.json({ ...view, missed: await missedWhileDisabled(c.var.services, row) }, 200);
      },
    );
  }

  app.openapi(
    apiRoute({
      method: "post",
      path: `${base}/{endpoint_id}/test`,
      tags,
      operationId: "testEndpoint",
      summary: "Send a test event now and answer the attempt",
      description:
        "Outside the retry ladder: one attempt, answered synchronously. Sends `webhook.test` unless `event_type` is given.",
      request: { params: EndpointPath, body: { ...jsonBody(TestEndpointInput), required: false } },
      responses: {
        200: jsonResponse(AttemptSchema, "The attempt: status code, duration, response excerpt or error."),
        ...tenantActionLimited,
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const attempt = await testEndpoint(c.var.services, tenant_id, endpoint_id, c.req.valid("json") ?? {});
      // Admin scope: it may read the secret, so it sees the signatures.
      return c.json(attemptView(attempt, true), 200);
    },
  );
}
