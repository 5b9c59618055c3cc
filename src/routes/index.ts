import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";
import { registerPortal } from "../portal";
import { registerApiKeyRoutes } from "./api-keys";
import { registerDeadLetterRoutes } from "./dead-letters";
import { registerDeliveryRoutes } from "./deliveries";
import { registerDeliveryActionRoutes } from "./deliveries/actions";
import { registerDocsRoutes } from "./docs";
import { registerEndpointRoutes } from "./endpoints";
import { registerRecoverRoute } from "./endpoints/recover";
import { registerRotateSecretRoute } from "./endpoints/rotate";
import { registerTestFilterRoute } from "./endpoints/test-filter";
import { registerTestUrlRoute } from "./endpoints/test-url";
import { registerEventTypeRoutes } from "./event-types";
import { registerEventRoutes } from "./events";
import { registerResendRoute } from "./events/resend";
import { registerMetricsRoutes } from "./metrics";
import { registerPortalSessionRoutes } from "./portal-sessions";
import { registerReplayRoutes } from "./replays";
import { registerStatsRoutes } from "./stats";
import { registerTaskRoutes } from "./tasks";
import { registerTenantRoutes } from "./tenants";

export function registerRoutes(app: OpenAPIHono<AppEnv>) {
  app.get("/", (c) =>
    c.json({ name: "edgehooks", version: c.get("config").version, docs: "/docs", openapi: "/openapi.json" }),
  );
  registerDocsRoutes(app);
  registerTenantRoutes(app);
  registerApiKeyRoutes(app);
  registerEndpointRoutes(app);
  registerTestFilterRoute(app);
  registerRotateSecretRoute(app);
  registerTestUrlRoute(app);
  registerEventTypeRoutes(app);
  registerEventRoutes(app);
  registerDeliveryRoutes(app);
  registerDeliveryActionRoutes(app);
  registerRecoverRoute(app);
  registerTaskRoutes(app);
  registerResendRoute(app);
  registerReplayRoutes(app);
  registerDeadLetterRoutes(app);
  registerStatsRoutes(app);
  registerPortalSessionRoutes(app);
  registerMetricsRoutes(app);
  registerPortal(app);
}
