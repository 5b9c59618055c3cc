import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse } from "../../http/openapi";
import { DEFAULT_STATS_WINDOW_MS, endpointStats, tenantStats } from "../../services/stats";
import { idParam, TenantIdParam, Timestamp, TimestampInput } from "../common";

const tags = ["Stats"];
const Summary = {
  deliveries: z.object({
    succeeded: z.number(),
    failed: z.number(),
    cancelled: z.number(),
    pending: z.number().optional(),
  }),
  attempts: z.object({ total: z.number(), succeeded: z.number(), failed: z.number() }),
  success_rate: z
    .number()
    .nullable()
    .openapi({ description: "Succeeded ÷ (succeeded + failed) deliveries finished in the window." }),
  latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }).openapi({
    description:
      "Attempt latency percentiles, as the upper bound of their histogram bucket (null above 25.6 s or without attempts).",
  }),
};
const EndpointStatsSchema = z
  .object({ endpoint_id: z.string(), since: Timestamp, ...Summary })
  .openapi("EndpointStats");
const TenantStatsSchema = z
  .object({
    tenant_id: z.string(),
    since: Timestamp,
    ...Summary,
    endpoints: z.array(z.object({ endpoint_id: z.string(), ...Summary })),
  })
  .openapi("TenantStats");
const SinceQuery = z.object({
  since: TimestampInput.optional().openapi({ description: "Window start (hour-aligned); default 24 h ago." }),
});

export function registerStatsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats",
      tags,
      operationId: "getEndpointStats",
      summary: "An endpoint's delivery stats",
      request: {
        params: z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") }),
        query: SinceQuery,
      },
      responses: { 200: jsonResponse(EndpointStatsSchema, "Counts by status, success rate, latency p50/p95.") },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const since = c.req.valid("query").since ?? Date.now() - DEFAULT_STATS_WINDOW_MS;
      return c.json(await endpointStats(c.var.services, tenant_id, endpoint_id, since), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/stats",
      tags,
      operationId: "getTenantStats",
      summary: "A tenant's delivery stats, in total and per endpoint",
      request: { params: z.object({ tenant_id: TenantIdParam }), query: SinceQuery },
      responses: { 200: jsonResponse(TenantStatsSchema, "Totals and a line per endpoint.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const since = c.req.valid("query").since ?? Date.now() - DEFAULT_STATS_WINDOW_MS;
      return c.json(await tenantStats(c.var.services, tenant_id, since), 200);
    },
  );
}
