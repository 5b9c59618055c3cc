/**
 * GET /metrics: the operator's counters as Prometheus text (exposition format 0.0.4). Today the
 * rows written per store, which `npm run bench` reads to price a webhook from the runtime's own
 * numbers. Counters live per isolate: locally that is the whole service; in production each
 * isolate answers its own share.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { resolvePrincipal } from "../auth/principal";
import { ApiError } from "../errors";
import type { AppEnv } from "../http/context";
import { apiRoute } from "../http/openapi";
import { ROW_STORES, rowsWritten } from "../lib/row-usage";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The exposition text: one HELP/TYPE header per metric, one line per label set. */
export function metricsText(): string {
  const rows = rowsWritten();
  return [
    "# HELP edgehooks_rows_written_total Rows written by this isolate, per store (D1 meta.rows_written, Durable Object cursor rowsWritten: what Cloudflare bills).",
    "# TYPE edgehooks_rows_written_total counter",
    ...ROW_STORES.map((store) => `edgehooks_rows_written_total{store="${store}"} ${rows[store]}`),
    "",
  ].join("\n");
}

export function registerMetricsRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      tags: ["Operator"],
      summary: "Operator counters (Prometheus text); root key only",
      responses: {
        200: { description: "Prometheus text exposition format 0.0.4.", content: { [PROMETHEUS_CONTENT_TYPE]: { schema: z.string() } } },
      },
    }),
    async (c) => {
      // Outside /v1, so the API's bearer middleware does not run: the same check, then root only
      // (the counters are the whole deployment's, not one tenant's).
      const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
      if (!match) throw new ApiError("unauthorized", "missing bearer token (Authorization: Bearer <key>)");
      const principal = await resolvePrincipal(c.env, match[1]!);
      if (!principal) throw new ApiError("unauthorized", "invalid or revoked API key");
      if (principal.kind !== "root") throw new ApiError("forbidden", "metrics need the root key");
      c.header("cache-control", "no-store");
      return c.text(metricsText(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
    },
  );
}
