import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonBody, jsonResponse } from "../../http/openapi";
import { iso } from "../../lib/time";
import { testUrl } from "../../services/test-url";
import { TenantIdParam } from "../common";
import { TestUrlInput, TestUrlResultSchema } from "./schema";

export function registerTestUrlRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/test-url",
      operationId: "testUrl",
      tags: ["Endpoints"],
      summary: "Send one signed test request to a URL that is not an endpoint yet",
      description:
        "The same destination checks as an endpoint (https unless the tenant is a sandbox; no private, loopback or metadata addresses). Answers the attempt synchronously, like `/test`, plus the secret it signed with. Nothing is stored. Rate-limited per tenant.",
      request: { params: z.object({ tenant_id: TenantIdParam }), body: jsonBody(TestUrlInput) },
      responses: {
        200: jsonResponse(
          TestUrlResultSchema,
          "The attempt (status code, duration, response excerpt or error) and the secret it was signed with.",
        ),
        429: errorResponse("Too many URL tests for this tenant; see `Retry-After`."),
      },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const { result, eventId, secret } = await testUrl(c.var.services, tenant_id, c.req.valid("json"));
      return c.json(
        {
          id: result.id,
          event_id: eventId,
          url: result.url,
          started_at: iso(result.startedAt),
          duration_ms: result.durationMs,
          status_code: result.statusCode,
          response_body: result.responseBody,
          error: result.error,
          error_detail: result.errorDetail,
          request_headers: result.requestHeaders,
          secret,
        },
        200,
      );
    },
  );
}
