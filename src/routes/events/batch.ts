/** POST up to 100 events: each item's shape checked here, judged and ingested by publishBatch, rendered in order. */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import { parseTraceparent } from "../../delivery/trace-context";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { zodIssues } from "../../http/validation";
import type { IngestInput } from "../../services/events/ingest";
import { type BatchItem, publishBatch } from "../../services/events/publish";
import { eventView } from "../../services/events/view";
import { TenantIdParam } from "../common";
import { EVENTS_PATH, RATE_LIMITED, TOO_LARGE } from "./ingest";
import { BatchInput, BatchResult, CreateEventInput } from "./schema";

export function registerBatchRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute(
      {
        method: "post",
        path: `${EVENTS_PATH}/batch`,
        tags: ["Events"],
        operationId: "createEventBatch",
        summary: "Post up to 100 events",
        description: "Each event is validated on its own; the answer lists each event's id or error, in order.",
        request: { params: z.object({ tenant_id: TenantIdParam }), body: jsonBody(BatchInput) },
        responses: { 202: jsonResponse(BatchResult, "Per-event results, in order.") },
      },
      { 413: TOO_LARGE, 429: RATE_LIMITED },
    ),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      authorize(c, "ingest", tenant_id);
      const items = c.req.valid("json").events.map((raw): BatchItem => {
        const parsed = CreateEventInput.safeParse(raw);
        return parsed.success ? { input: parsed.data as IngestInput } : { invalid: zodIssues(parsed.error) };
      });
      const answers = await publishBatch(
        c.var.services,
        tenant_id,
        items,
        parseTraceparent(c.req.header("traceparent")),
      );
      const data = answers.map((a) =>
        "error" in a
          ? { error: a.error }
          : { ...eventView(a.event, { withData: false }), ...(a.deprecated ? { type_deprecated: true } : {}) },
      );
      return c.json({ data }, 202);
    },
  );
}
