/** Tasks (a recover or a replay): read one's progress, or cancel it. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, principalTenant } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse } from "../../http/openapi";
import { getTask } from "../../services/recover";
import { cancelTask } from "../../services/tasks";
import { idParam } from "../common";
import { TaskSchema } from "./schema";

const tags = ["Recovery"];
const TaskPath = z.object({ task_id: idParam("task_id", "task") });

export function registerTaskRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tasks/{task_id}",
      tags,
      operationId: "getTask",
      summary: "Get a task's progress",
      request: { params: TaskPath },
      responses: { 200: jsonResponse(TaskSchema, "The task.") },
    }),
    async (c) => {
      const principal = authorize(c, "read");
      const { view } = await getTask(c.var.services, c.req.valid("param").task_id, principalTenant(principal));
      return c.json(view, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tasks/{task_id}/cancel",
      tags,
      operationId: "cancelTask",
      summary: "Cancel a replay or recover task",
      description: "Nothing of the task is sent after this answers: what was not attempted yet is `cancelled`.",
      request: { params: TaskPath },
      responses: { 200: jsonResponse(TaskSchema, "The cancelled task.") },
    }),
    async (c) => {
      const principal = authorize(c, "admin");
      return c.json(await cancelTask(c.var.services, c.req.valid("param").task_id, principalTenant(principal)), 200);
    },
  );
}
