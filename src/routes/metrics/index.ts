/**
 * GET /metrics: the operator's metrics as Prometheus text (exposition format 0.0.4): delivery
 * counters, the attempt-latency histogram and the backlog per endpoint and per tenant, read from
 * each tenant's TenantLog (durable, whatever isolate answers), plus the per-isolate rows-written
 * counters `npm run bench` reads to price a webhook. A scrape reads at most METRICS_MAX_TENANTS
 * tenants (`?cursor=` continues, `?tenant=` reads one). The root key, or an admin key bound to no
 * tenant: the numbers are the whole deployment's.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { isOperator } from "../../auth/guard";
import { resolvePrincipal } from "../../auth/principal";
import { ApiError, badRequest } from "../../errors";
import { assertNotThrottled, authClient, noteAuthFailure } from "../../http/auth-throttle";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse } from "../../http/openapi";
import { decodeCursor, encodeCursor } from "../../http/pagination";
import { scrapeMetrics } from "../../services/metrics";
import { renderMetrics } from "../../services/metrics-render";
import { TENANT_ID_PATTERN } from "../common";

const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const MetricsQuery = z.object({
  tenant: z
    .string()
    .regex(TENANT_ID_PATTERN, "tenant ids are 1..64 characters of A-Z a-z 0-9 _ . : -")
    .optional()
    .openapi({ description: "Scrape this one tenant only (404 if it does not exist).", example: "org_xyz789" }),
  cursor: z.string().max(200).optional().openapi({
    description: "The `# next_cursor` of the previous scrape, when it said `edgehooks_scrape_truncated 1`.",
  }),
});

/**
 * Outside /v1, so the API's bearer middleware does not run: the same check here, failures
 * counted on the same throttle (a scraper is as good a place to guess keys as the API).
 */
async function authorizeOperator(header: (name: string) => string | undefined, env: Env) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header("authorization") ?? "");
  if (!match) throw new ApiError("unauthorized", "missing bearer token (Authorization: Bearer <key>)");
  const client = authClient(header, match[1]!);
  assertNotThrottled(client);
  const principal = await resolvePrincipal(env, match[1]!);
  if (!principal) {
    await noteAuthFailure(env, client);
    throw new ApiError("unauthorized", "invalid or revoked API key");
  }
  // Every tenant's numbers: the root key or an admin key that no tenant restricts.
  if (!isOperator(principal))
    throw new ApiError("forbidden", "metrics need the root key or an admin key bound to no tenant");
}

export function registerMetricsRoutes(app: OpenAPIHono<AppEnv>) {
  // Credentials before the query is validated: no key answers 401 whatever the query says.
  app.use("/metrics", async (c, next) => {
    await authorizeOperator((name) => c.req.header(name), c.env);
    await next();
  });
  app.openapi(
    apiRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      tags: ["Operator"],
      summary: "Operator metrics (Prometheus text); root key or an unbound admin key",
      request: { query: MetricsQuery },
      responses: {
        200: {
          description: "Prometheus text exposition format 0.0.4.",
          content: { [PROMETHEUS_CONTENT_TYPE]: { schema: z.string() } },
        },
        403: errorResponse("Only the root key or an admin key bound to no tenant may read the metrics."),
        404: errorResponse("The tenant named by `tenant` does not exist."),
      },
    }),
    async (c) => {
      const { tenant, cursor } = c.req.valid("query");
      if (tenant !== undefined && cursor !== undefined) {
        throw badRequest("give either tenant or cursor", [
          { path: "cursor", message: "a single-tenant scrape has no pages" },
        ]);
      }
      const after = decodeCursor(cursor, TENANT_ID_PATTERN);
      const scrape = await scrapeMetrics(c.var.services, { tenant, after });
      c.header("cache-control", "no-store");
      return c.text(renderMetrics(scrape, scrape.nextAfter ? encodeCursor(scrape.nextAfter) : null), 200, {
        "content-type": PROMETHEUS_CONTENT_TYPE,
      });
    },
  );
}
