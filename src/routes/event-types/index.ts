import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize, principalTenant } from "../../auth/guard";
import { EVENT_TYPE_PATTERN } from "../../delivery/match";
import { ApiError } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import {
  createEventType,
  deleteEventType,
  eventTypeView,
  getEventType,
  listEventTypes,
  updateEventType,
} from "../../services/event-types";
import { EventTypeName } from "../events/schema";
import { CreateEventTypeInput, EventTypeSchema, UpdateEventTypeInput } from "./schema";

const tags = ["Event types"];
const NamePath = z.object({ name: EventTypeName.openapi({ param: { name: "name", in: "path" } }) });

/** The catalog is shared by every tenant: only unrestricted admin keys may change it. */
function authorizeCatalogChange(c: Parameters<typeof authorize>[0]) {
  const principal = authorize(c, "admin");
  if (principalTenant(principal) !== null)
    throw new ApiError("forbidden", "a tenant-restricted key cannot change the event-type catalog");
}

export function registerEventTypeRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: "/v1/event-types",
        tags,
        operationId: "createEventType",
        summary: "Add an event type to the catalog",
        request: { body: jsonBody(CreateEventTypeInput) },
        responses: { 201: jsonResponse(EventTypeSchema, "The event type.") },
      },
      { 409: "An event type with this name already exists." },
    ),
    async (c) => {
      authorizeCatalogChange(c);
      return c.json(eventTypeView(await createEventType(c.var.services, c.req.valid("json"))), 201);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/event-types",
      tags,
      operationId: "listEventTypes",
      summary: "List the catalog",
      request: { query: z.object(PaginationQuery) },
      responses: { 200: jsonResponse(paginated(EventTypeSchema), "A page of event types, by name.") },
    }),
    async (c) => {
      authorize(c, "read");
      const { limit, cursor } = c.req.valid("query");
      const rows = await listEventTypes(c.var.services, { limit, after: decodeCursor(cursor, EVENT_TYPE_PATTERN) });
      const p = page(rows, limit, (r) => r.name);
      return c.json({ data: p.data.map(eventTypeView), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/event-types/{name}",
      tags,
      operationId: "getEventType",
      summary: "Get an event type",
      request: { params: NamePath },
      responses: { 200: jsonResponse(EventTypeSchema, "The event type.") },
    }),
    async (c) => {
      authorize(c, "read");
      return c.json(eventTypeView(await getEventType(c.var.services, c.req.valid("param").name)), 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "patch",
      path: "/v1/event-types/{name}",
      tags,
      operationId: "updateEventType",
      summary: "Update an event type",
      request: { params: NamePath, body: jsonBody(UpdateEventTypeInput) },
      responses: { 200: jsonResponse(EventTypeSchema, "The updated event type.") },
    }),
    async (c) => {
      authorizeCatalogChange(c);
      return c.json(
        eventTypeView(await updateEventType(c.var.services, c.req.valid("param").name, c.req.valid("json"))),
        200,
      );
    },
  );

  app.openapi(
    apiRoute({
      method: "delete",
      path: "/v1/event-types/{name}",
      tags,
      operationId: "deleteEventType",
      summary: "Remove an event type from the catalog",
      request: { params: NamePath },
      responses: { 204: { description: "Deleted." } },
    }),
    async (c) => {
      authorizeCatalogChange(c);
      await deleteEventType(c.var.services, c.req.valid("param").name);
      return c.body(null, 204);
    },
  );
}
