import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { testEndpointFilter } from "../../services/endpoint-filter-test";
import { idParam, TenantIdParam } from "../common";
import { TestFilterInput, TestFilterResult } from "./schema";

export function registerTestFilterRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test-filter",
      tags: ["Endpoints"],
      operationId: "testEndpointFilter",
      summary: "Would an event like this reach the endpoint?",
      description:
        "Evaluates the endpoint's event types, channels and payload filter against the given event; sends nothing. Rate-limited per tenant (429 with `Retry-After`).",
      request: {
        params: z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") }),
        body: jsonBody(TestFilterInput),
      },
      responses: {
        200: jsonResponse(TestFilterResult, "Whether it matches, and which part decided."),
        ...tenantActionLimited,
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      return c.json(await testEndpointFilter(c.var.services, tenant_id, endpoint_id, c.req.valid("json")), 200);
    },
  );
}
