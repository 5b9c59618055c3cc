/** Resend: deliver an event again to every endpoint that matches it now. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse, tenantActionLimited } from "../../http/openapi";
import { resendEvent } from "../../services/events/resend";
import { idParam, TenantIdParam } from "../common";

const tags = ["Recovery"];

const ResendSchema = z
  .object({
    event_id: z.string(),
    origin: z.string().openapi({ description: "Tags the deliveries this resend creates." }),
  })
  .openapi("Resend");

export function registerResendRoute(app: OpenAPIHono<AppEnv>) {
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
