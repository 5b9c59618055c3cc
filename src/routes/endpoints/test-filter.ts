import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import { matchesFilter, validateFilter, type Filter } from "../../delivery/filter";
import { ApiError } from "../../errors";
import { matchesChannels, matchesEventType } from "../../delivery/match";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { serviceCtx } from "../../services/context";
import { getEndpoint } from "../../services/endpoints";
import { TEST_EVENT_TYPE } from "../../services/endpoints-test";
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
      description: "Evaluates the endpoint's event types, channels and payload filter against the given event; sends nothing.",
      request: { params: z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") }), body: jsonBody(TestFilterInput) },
      responses: { 200: jsonResponse(TestFilterResult, "Whether it matches, and which part decided.") },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const endpoint = await getEndpoint(serviceCtx(c.env), tenant_id, endpoint_id);
      // A filter stored before $regex moved to RE2 may hold a pattern it cannot run: say so.
      const stored = endpoint.filter ? validateFilter(endpoint.filter) : null;
      if (stored && !stored.ok) {
        throw new ApiError(
          "bad_request",
          "the endpoint's filter cannot be evaluated; update it",
          stored.issues.map((i) => ({ path: `filter.${i.path}`, message: i.message })),
        );
      }
      const input = c.req.valid("json");
      const type = input.type ?? TEST_EVENT_TYPE;
      const channels = input.channels ?? [];
      const filter_matches = matchesFilter(endpoint.filter as Filter | null, { type, channels, data: input.data });
      const event_type_matches = matchesEventType(endpoint.eventTypes, type);
      const channels_match = matchesChannels(endpoint.channels, channels);
      return c.json({ matches: filter_matches && event_type_matches && channels_match, filter_matches, event_type_matches, channels_match }, 200);
    },
  );
}
