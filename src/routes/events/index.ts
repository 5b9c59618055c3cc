/** The events of a tenant: ingest one (ingest.ts), a batch (batch.ts), and the reads (read.ts). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { ingestRateLimit } from "../../http/rate-limit";
import { registerBatchRoute } from "./batch";
import { registerIngestRoute } from "./ingest";
import { registerEventReadRoutes } from "./read";

export function registerEventRoutes(app: OpenAPIHono<AppEnv>) {
  // The 1 MiB body limit is applied to every ingest request by src/http/body-limit.ts.
  app.use("/v1/tenants/:tenant_id/events", ingestRateLimit);
  app.use("/v1/tenants/:tenant_id/events/batch", ingestRateLimit);
  registerIngestRoute(app);
  registerBatchRoute(app);
  registerEventReadRoutes(app);
}
