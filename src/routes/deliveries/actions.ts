/** Acting on one delivery by hand: attempt it now, or cancel it while it is pending. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { cancelDelivery, retryDelivery } from "../../services/deliveries/actions";
import { attemptView, deliveryView } from "../../services/deliveries/query";
import { idParam, TenantIdParam } from "../common";
import { AttemptSchema } from "../endpoints/schema";
import { DeliverySchema } from "./schema";

const tags = ["Recovery"];
const DeliveryPath = z.object({ tenant_id: TenantIdParam, delivery_id: idParam("delivery_id", "dlv") });

export function registerDeliveryActionRoutes(app: OpenAPIHono<AppEnv>) {
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
}
