/** Recover: re-queue every failed delivery of one endpoint in a window, as a paced task. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { recoverEndpoint } from "../../services/recover";
import { idParam, TenantIdParam, TimestampInput } from "../common";
import { TaskSchema } from "../tasks/schema";

const tags = ["Recovery"];

const RecoverInput = z
  .strictObject({
    since: TimestampInput.openapi({ description: "Re-queue failed deliveries created at or after this." }),
    until: TimestampInput.optional().openapi({ description: "…and at or before this (default now)." }),
  })
  .openapi("RecoverInput");

export function registerRecoverRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover",
      tags,
      operationId: "recoverEndpoint",
      summary: "Re-queue every failed delivery of the endpoint in a window",
      description:
        "Paced by the endpoint's rate limit and in-flight cap. Answers a task whose progress is at GET /v1/tasks/{task_id}.",
      request: {
        params: z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") }),
        body: jsonBody(RecoverInput),
      },
      responses: { 202: jsonResponse(TaskSchema, "The recover task."), ...tenantActionLimited },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      return c.json(await recoverEndpoint(c.var.services, tenant_id, endpoint_id, c.req.valid("json")), 202);
    },
  );
}
