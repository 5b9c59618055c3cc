/** The reads of a tenant's events: list them, get one with its data, list one's deliveries. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import { notFound } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { deliveryView, listDeliveries } from "../../services/deliveries/query";
import { eventView } from "../../services/events/view";
import { cachedTenant } from "../../services/tenants";
import { logForId } from "../../tenant-log/client";
import { listAcross, segmentsOf } from "../../tenant-log/log-segments";
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
      const ctx = c.var.services;
      // The log reads are the hot read path: the tenant check goes through the config cache.
      await cachedTenant(ctx, tenant_id);
      const filters = {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        type: q.type,
        channel: q.channel,
        since: q.since,
        until: q.until,
      };
      const rows = await listAcross(c.env, tenant_id, await segmentsOf(c.env, tenant_id), filters, "evt", (log, at) =>
        log.listEvents({ ...filters, ...at }),
      );
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
      const row = await logForId(c.env, tenant_id, event_id).getEvent(event_id);
      if (!row || row.tenantId !== tenant_id) throw notFound("event");
      return c.json(eventView(row, { withData: true }), 200);
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
      const ctx = c.var.services;
      const exists = await logForId(c.env, tenant_id, event_id).getEvent(event_id);
      if (!exists) throw notFound("event");
      const rows = await listDeliveries(ctx, tenant_id, {
        limit: q.limit,
        before: decodeCursor(q.cursor),
        eventId: event_id,
      });
      const p = page(rows, q.limit);
      return c.json({ data: p.data.map(deliveryView), next_cursor: p.next_cursor }, 200);
    },
  );
}
