import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, hasScope } from "../../auth/guard";
import { ATTEMPT_ERRORS, STATUS_CLASSES } from "../../domain/deliveries";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import {
  attemptView,
  deliveryDetail,
  deliveryView,
  getAttempt,
  listAttempts,
  listDeliveries,
} from "../../services/deliveries/query";
import { cachedTenant } from "../../services/tenants";
import { idField, idParam, TenantIdParam, TimestampInput } from "../common";
import { AttemptSchema } from "../endpoints/schema";
import { EventTypeName, OrderingKey } from "../events/schema";
import { DeliveryDetailSchema, DeliverySchema, DeliveryStatusSchema } from "./schema";

const tags = ["Delivery log"];
const StatusCodeClassSchema = z.enum(STATUS_CLASSES).openapi({
  description: "The class of the (last) HTTP answer; `none`: the attempt got no answer (timeout, connection, blocked).",
});
const TenantPath = z.object({ tenant_id: TenantIdParam });
const DeliveryPath = z.object({ tenant_id: TenantIdParam, delivery_id: idParam("delivery_id", "dlv") });

export function registerDeliveryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/deliveries",
      tags,
      operationId: "listDeliveries",
      summary: "List deliveries",
      request: {
        params: TenantPath,
        query: z.object({
          ...PaginationQuery,
          endpoint_id: idField("ep").optional(),
          event_id: idField("evt").optional(),
          status: DeliveryStatusSchema.optional(),
          event_type: EventTypeName.optional(),
          status_code_class: StatusCodeClassSchema.optional(),
          channel: z
            .string()
            .min(1)
            .max(128)
            .optional()
            .openapi({ description: "Only deliveries of events on this channel." }),
          ordering_key: OrderingKey.optional().openapi({
            description: "Only deliveries of events with this ordering key: one lane per endpoint, by `sequence`.",
          }),
          since: TimestampInput.optional(),
          until: TimestampInput.optional(),
        }),
      },
      responses: { 200: jsonResponse(paginated(DeliverySchema), "A page of deliveries, newest first.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const q = c.req.valid("query");
      const ctx = c.var.services;
      // The log reads are the hot read path: the tenant check goes through the config cache.
      await cachedTenant(ctx, tenant_id);
      const rows = await listDeliveries(ctx, tenant_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        endpointId: q.endpoint_id,
        eventId: q.event_id,
        status: q.status,
        eventType: q.event_type,
        statusCodeClass: q.status_code_class,
        channel: q.channel,
        orderingKey: q.ordering_key,
        since: q.since,
        until: q.until,
      });
      const p = page(rows, q.limit);
      return c.json({ data: p.data.map(deliveryView), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/deliveries/{delivery_id}",
      tags,
      operationId: "getDelivery",
      summary: "Get a delivery with its attempts",
      request: { params: DeliveryPath },
      responses: { 200: jsonResponse(DeliveryDetailSchema, "The delivery and every attempt, oldest first.") },
    }),
    async (c) => {
      const { tenant_id, delivery_id } = c.req.valid("param");
      const secrets = hasScope(authorize(c, "read", tenant_id), "admin");
      const ctx = c.var.services;
      const { delivery, attempts } = await deliveryDetail(ctx, tenant_id, delivery_id);
      return c.json({ ...deliveryView(delivery), attempts: attempts.map((a) => attemptView(a, secrets)) }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/attempts",
      tags,
      operationId: "listAttempts",
      summary: "List attempts",
      request: {
        params: TenantPath,
        query: z.object({
          ...PaginationQuery,
          endpoint_id: idField("ep").optional(),
          delivery_id: idField("dlv").optional(),
          event_id: idField("evt").optional(),
          status_code_class: StatusCodeClassSchema.optional(),
          error: z.enum(ATTEMPT_ERRORS).optional(),
          since: TimestampInput.optional(),
          until: TimestampInput.optional(),
        }),
      },
      responses: { 200: jsonResponse(paginated(AttemptSchema), "A page of attempts, newest first.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      const secrets = hasScope(authorize(c, "read", tenant_id), "admin");
      const q = c.req.valid("query");
      const ctx = c.var.services;
      // The log reads are the hot read path: the tenant check goes through the config cache.
      await cachedTenant(ctx, tenant_id);
      const rows = await listAttempts(ctx, tenant_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        endpointId: q.endpoint_id,
        deliveryId: q.delivery_id,
        eventId: q.event_id,
        statusCodeClass: q.status_code_class,
        error: q.error,
        since: q.since,
        until: q.until,
      });
      const p = page(rows, q.limit);
      return c.json({ data: p.data.map((a) => attemptView(a, secrets)), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/attempts/{attempt_id}",
      tags,
      operationId: "getAttempt",
      summary: "Get an attempt",
      request: { params: z.object({ tenant_id: TenantIdParam, attempt_id: idParam("attempt_id", "att") }) },
      responses: { 200: jsonResponse(AttemptSchema, "The attempt.") },
    }),
    async (c) => {
      const { tenant_id, attempt_id } = c.req.valid("param");
      const secrets = hasScope(authorize(c, "read", tenant_id), "admin");
      return c.json(attemptView(await getAttempt(c.var.services, tenant_id, attempt_id), secrets), 200);
    },
  );
}
