import { parseTraceparent } from "../../delivery/trace-context";
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import { ApiError, notFound } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { decodeCursor, page, paginated, PaginationQuery } from "../../http/pagination";
import { zodIssues } from "../../http/validation";
import { ingestRateLimit } from "../../http/rate-limit";
import { deliveryView, listDeliveries } from "../../services/deliveries/query";
import { logForId } from "../../tenant-log/client";
import { listAcross, segmentsOf } from "../../tenant-log/log-segments";
import { idempotencyConflict, ingestEvent, ingestEvents, type IngestInput } from "../../services/events/ingest";
import { eventView } from "../../services/events/view";
import { cachedTenant } from "../../services/tenants";
import { validateAgainstCatalog } from "../../services/event-types";
import { DeliverySchema } from "../deliveries/schema";
import { idParam, TenantIdParam, TimestampInput } from "../common";
import { BatchInput, BatchResult, CreateEventInput, EventSchema, EventTypeName } from "./schema";

const tags = ["Events"];
const base = "/v1/tenants/{tenant_id}/events";
const TenantPath = z.object({ tenant_id: TenantIdParam });
const EventPath = z.object({ tenant_id: TenantIdParam, event_id: idParam("event_id", "evt") });
const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "A repeat within 24 h answers the same event and fans out nothing new." }),
});

const TOO_LARGE =
  "The request body is larger than 1 MiB, or its events' data times the endpoints they would go to is more than one ingest may fan out (256 MiB).";
const RATE_LIMITED = "This key posted more than its ingest limit; retry after `Retry-After` seconds.";

export function registerEventRoutes(app: OpenAPIHono<AppEnv>) {
  // The 1 MiB body limit is applied to every ingest request by src/http/body-limit.ts.
  app.use("/v1/tenants/:tenant_id/events", ingestRateLimit);
  app.use("/v1/tenants/:tenant_id/events/batch", ingestRateLimit);

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: base,
        tags,
        operationId: "createEvent",
        summary: "Post an event",
        description:
          "Written durably before the answer (read it back at once), then fanned out to every matching endpoint.",
        request: { params: TenantPath, headers: IdempotencyHeader, body: jsonBody(CreateEventInput) },
        responses: {
          202: jsonResponse(EventSchema, "Accepted (or the same event again for an idempotent repeat)."),
        },
      },
      {
        409: "The Idempotency-Key (or body `id`) was used before with a different body; `issues` names the key.",
        413: TOO_LARGE,
        422: "`data` does not match the JSON Schema of its type in the catalog; `issues` names each mismatch.",
        429: RATE_LIMITED,
      },
    ),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "ingest", tenant_id);
      const ctx = c.var.services;
      const input = c.req.valid("json") as IngestInput;
      const [check] = await validateAgainstCatalog(ctx, [input]);
      if (check!.issues.length)
        throw new ApiError("unprocessable", `data does not match the schema of '${input.type}'`, check!.issues);
      const result = await ingestEvent(
        ctx,
        tenant_id,
        input,
        c.req.valid("header")["idempotency-key"],
        parseTraceparent(c.req.header("traceparent")),
      );
      if (check!.deprecated) c.header("deprecation", "true");
      // A reused Idempotency-Key answers the event it first made and delivers nothing new: say so.
      if (!result.created) c.header("idempotent-replayed", "true");
      return c.json(
        { ...eventView(result.event, { withData: false }), ...(check!.deprecated ? { type_deprecated: true } : {}) },
        202,
      );
    },
  );

  app.openapi(
    apiRoute(
      {
        method: "post",
        path: `${base}/batch`,
        tags,
        operationId: "createEventBatch",
        summary: "Post up to 100 events",
        description: "Each event is validated on its own; the answer lists each event's id or error, in order.",
        request: { params: TenantPath, body: jsonBody(BatchInput) },
        responses: { 202: jsonResponse(BatchResult, "Per-event results, in order.") },
      },
      { 413: TOO_LARGE, 429: RATE_LIMITED },
    ),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "ingest", tenant_id);
      const ctx = c.var.services;
      const parsed = c.req.valid("json").events.map((raw) => CreateEventInput.safeParse(raw));
      const checks = await validateAgainstCatalog(
        ctx,
        parsed.map((r) => (r.success ? r.data : { type: "", data: null })),
      );
      // Each event is judged alone: a shape error is 400-like, a schema mismatch 422-like.
      const errors = parsed.map((r, i) =>
        !r.success
          ? { code: "bad_request" as const, message: "invalid event", issues: zodIssues(r.error) }
          : checks[i]!.issues.length
            ? {
                code: "unprocessable" as const,
                message: `data does not match the schema of '${r.data.type}'`,
                issues: checks[i]!.issues,
              }
            : null,
      );
      const valid = parsed.flatMap((r, i) => (r.success && !errors[i] ? [{ i, input: r.data as IngestInput }] : []));
      if (!valid.length) {
        const issues = errors.flatMap((e, i) =>
          (e?.issues ?? []).map((x) => ({ path: `events.${i}${x.path ? `.${x.path}` : ""}`, message: x.message })),
        );
        throw new ApiError("bad_request", "no valid event in the batch", issues);
      }
      const trace = parseTraceparent(c.req.header("traceparent"));
      const ingested = await ingestEvents(
        ctx,
        tenant_id,
        valid.map((v) => ({ input: v.input, trace })),
      );
      const byIndex = new Map(valid.map((v, k) => [v.i, ingested[k]!]));
      const data = parsed.map((_, i) => {
        const error = errors[i];
        if (error) return { error };
        const stored = byIndex.get(i)!;
        if ("invalid" in stored)
          return { error: { code: "bad_request" as const, message: "invalid event", issues: stored.invalid } };
        if ("conflict" in stored) {
          const e = idempotencyConflict(stored.conflict);
          return { error: { code: "conflict" as const, message: e.message, issues: e.issues ?? [] } };
        }
        return {
          ...eventView(stored.event, { withData: false }),
          ...(checks[i]!.deprecated ? { type_deprecated: true } : {}),
        };
      });
      return c.json({ data }, 202);
    },
  );

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
