/** POST one event: validate, publish (catalog check, then the durable idempotent write), render. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import { parseTraceparent } from "../../delivery/trace-context";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import type { IngestInput } from "../../services/events/ingest";
import { publishEvent } from "../../services/events/publish";
import { eventView } from "../../services/events/view";
import { TenantIdParam } from "../common";
import { CreateEventInput, EventSchema } from "./schema";

export const EVENTS_PATH = "/v1/tenants/{tenant_id}/events";
export const TOO_LARGE =
  "The request body is larger than 1 MiB, or its events' data times the endpoints they would go to is more than one ingest may fan out (256 MiB).";
export const RATE_LIMITED = "This key posted more than its ingest limit; retry after `Retry-After` seconds.";

const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "A repeat within 24 h answers the same event and fans out nothing new." }),
});

export function registerIngestRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: EVENTS_PATH,
        tags: ["Events"],
        operationId: "createEvent",
        summary: "Post an event",
        description:
          "Written durably before the answer (read it back at once), then fanned out to every matching endpoint.",
        request: {
          params: z.object({ tenant_id: TenantIdParam }),
          headers: IdempotencyHeader,
          body: jsonBody(CreateEventInput),
        },
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
      const result = await publishEvent(
        c.var.services,
        tenant_id,
        c.req.valid("json") as IngestInput,
        c.req.valid("header")["idempotency-key"],
        parseTraceparent(c.req.header("traceparent")),
      );
      if (result.deprecated) c.header("deprecation", "true");
      // A reused Idempotency-Key answers the event it first made and delivers nothing new: say so.
      if (!result.created) c.header("idempotent-replayed", "true");
      return c.json(
        { ...eventView(result.event, { withData: false }), ...(result.deprecated ? { type_deprecated: true } : {}) },
        202,
      );
    },
  );
}
