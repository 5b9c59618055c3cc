/** Recovery tools: retry or cancel one delivery, recover an endpoint's failures, resend an event. */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize, principalTenant } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { cancelDelivery, retryDelivery } from "../../services/deliveries/actions";
import { attemptView, deliveryView } from "../../services/deliveries/query";
import { resendEvent } from "../../services/events/resend";
import { getTask, recoverEndpoint } from "../../services/recover";
import { idParam, TenantIdParam } from "../common";
import { DeliverySchema } from "../deliveries/schema";
import { AttemptSchema } from "../endpoints/schema";
import { RecoverInput, ResendSchema, TaskSchema } from "./schema";

const tags = ["Recovery"];
const DeliveryPath = z.object({ tenant_id: TenantIdParam, delivery_id: idParam("delivery_id", "dlv") });

export function registerRecoveryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry",
        tags,
        operationId: "retryDelivery",
        summary: "Attempt a delivery now (a success marks it succeeded)",
        request: { params: DeliveryPath },
        responses: { 200: jsonResponse(AttemptSchema, "The manual attempt."), ...tenantActionLimited },
      },
      { 409: "The delivery's endpoint was deleted, or the event's payload is no longer retained." },
    ),
    async (c) => {
      const { tenant_id, delivery_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      return c.json(attemptView(await retryDelivery(c.var.services, tenant_id, delivery_id), true), 200);
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/v1/tenants/{tenant_id}/deliveries/{delivery_id}/cancel",
        tags,
        operationId: "cancelDelivery",
        summary: "Cancel a pending delivery",
        request: { params: DeliveryPath },
        responses: { 200: jsonResponse(DeliverySchema, "The cancelled delivery.") },
      },
      { 409: "The delivery is already final (succeeded, failed or cancelled)." },
    ),
    async (c) => {
      const { tenant_id, delivery_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      return c.json(deliveryView(await cancelDelivery(c.var.services, tenant_id, delivery_id)), 200);
    },
  );

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

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tasks/{task_id}",
      tags,
      operationId: "getTask",
      summary: "Get a task's progress",
      request: { params: z.object({ task_id: idParam("task_id", "task") }) },
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
      path: "/v1/tenants/{tenant_id}/events/{event_id}/resend",
      tags,
      operationId: "resendEvent",
      summary: "Deliver an event again to every endpoint that matches it now",
      request: { params: z.object({ tenant_id: TenantIdParam, event_id: idParam("event_id", "evt") }) },
      responses: { 202: jsonResponse(ResendSchema, "Queued."), ...tenantActionLimited },
    }),
    async (c) => {
      const { tenant_id, event_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      return c.json(await resendEvent(c.var.services, tenant_id, event_id), 202);
    },
  );
}
