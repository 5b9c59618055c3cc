/** The reads of a tenant's events: list them, get one with its data, list one's deliveries. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { deliveryView } from "../../services/deliveries/query";
import { getEvent, listEventDeliveries, listEvents } from "../../services/events/read";
import { eventView } from "../../services/events/view";
import { idParam, TenantIdParam, TimestampInput } from "../common";
import { DeliverySchema } from "../deliveries/schema";
import { EVENTS_PATH as base } from "./ingest";
import { EventSchema, EventTypeName } from "./schema";

const tags = ["Events"];
const TenantPath = z.object({ tenant_id: TenantIdParam });
const EventPath = z.object({ tenant_id: TenantIdParam, event_id: idParam("event_id", "evt") });

export function registerEventReadRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: base,
      tags,
      operationId: "listEvents",
      summary: "List events",
      request: {
        params: TenantPath,
        query: z.object({
          ...PaginationQuery,
          type: EventTypeName.optional(),
          channel: z.string().max(128).optional(),
          since: TimestampInput.optional(),
          until: TimestampInput.optional(),
        }),
      },
      responses: { 200: jsonResponse(paginated(EventSchema), "A page of events, newest first.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const q = c.req.valid("query");
      const rows = await listEvents(c.var.services, tenant_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        type: q.type,
        channel: q.channel,
        since: q.since,
        until: q.until,
      });
      const p = page(rows, q.limit);
      return c.json({ data: p.data.map((r) => eventView(r, { withData: true })), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: `${base}/{event_id}`,
      tags,
      operationId: "getEvent",
      summary: "Get an event",
      request: { params: EventPath },
      responses: { 200: jsonResponse(EventSchema, "The event with its data.") },
    }),
    async (c) => {
      const { tenant_id, event_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      return c.json(eventView(await getEvent(c.var.services, tenant_id, event_id), { withData: true }), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: `${base}/{event_id}/deliveries`,
      tags,
      operationId: "listEventDeliveries",
      summary: "List an event's deliveries",
      request: { params: EventPath, query: z.object(PaginationQuery) },
      responses: { 200: jsonResponse(paginated(DeliverySchema), "A page of deliveries, newest first.") },
    }),
    async (c) => {
      const { tenant_id, event_id } = c.req.valid("param");
      authorize(c, "read", tenant_id);
      const q = c.req.valid("query");
      const rows = await listEventDeliveries(c.var.services, tenant_id, event_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
      });
      const p = page(rows, q.limit);
      return c.json({ data: p.data.map(deliveryView), next_cursor: p.next_cursor }, 200);
    },
  );
}
