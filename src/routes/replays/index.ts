/** Replays by filter: a plan first, then a paced task (read and cancelled at /v1/tasks, src/routes/tasks). */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { replay } from "../../services/replays";
import { TenantIdParam } from "../common";
import { TaskSchema } from "../tasks/schema";
import { ReplayInput, ReplayPlanSchema } from "./schema";

const tags = ["Recovery"];

export function registerReplayRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/v1/tenants/{tenant_id}/replays",
        tags,
        operationId: "createReplay",
        summary: "Replay deliveries by filter, or plan it (dry_run)",
        description:
          "`dry_run: true` answers the plan (200) and sends nothing. Otherwise answers a task (202), paced by each endpoint's rate limit, whose progress is at GET /v1/tasks/{task_id} and which POST /v1/tasks/{task_id}/cancel stops.",
        request: { params: z.object({ tenant_id: TenantIdParam }), body: jsonBody(ReplayInput) },
        responses: {
          200: jsonResponse(ReplayPlanSchema, "The plan of a dry run."),
          202: jsonResponse(TaskSchema, "The replay task."),
          ...tenantActionLimited,
        },
      },
      { 409: "A named endpoint is disabled: enable it before replaying to it." },
    ),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const answer = await replay(c.var.services, tenant_id, c.req.valid("json"));
      return answer.dryRun ? c.json(answer.plan, 200) : c.json(answer.task, 202);
    },
  );
}
