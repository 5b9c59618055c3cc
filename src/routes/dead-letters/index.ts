/**
 * Operator routes (root key only): a tenant's dead letters (queue messages that exhausted their
 * retries; messages of no tenant are kept under `_operator`) and their re-drive by hand. The
 * sweep (asked for by the tenant's TenantLog alarm) re-drives each one a few times on its own;
 * these are for what is left.
 */
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { authorize } from "../../auth/guard";
import { ApiError } from "../../errors";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonResponse } from "../../http/openapi";
import { decodeCursor, PaginationQuery, page, paginated } from "../../http/pagination";
import { deadLetterView, listDeadLetters, redriveDeadLetter } from "../../services/dead-letters";
import { idParam, TenantIdParam, Timestamp } from "../common";

const tags = ["Operator"];

const DeadLetterSchema = z
  .object({
    id: z.string().openapi({ example: "dlq_01jd0000000000000000000000" }),
    queue: z.string(),
    kind: z
      .enum(["fanout", "operational", "unknown"])
      .openapi({ description: "`unknown`: a body no version of this service understands; it cannot be re-driven." }),
    attempts: z.number().openapi({ description: "Deliveries of the message the queue tried." }),
    redrives: z.number().openapi({ description: "How many times it was queued again before." }),
    body: z.unknown(),
    created_at: Timestamp,
  })
  .openapi("DeadLetter");

/** A key bound to another tenant gets 404 as everywhere; any other non-root credential 403. */
function rootOnly(c: Context<AppEnv>, tenantId: string) {
  if (authorize(c, "admin", tenantId).kind !== "root")
    throw new ApiError("forbidden", "dead letters are for the operator's root key");
}

export function registerDeadLetterRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "get",
      path: "/v1/tenants/{tenant_id}/dead-letters",
      operationId: "listDeadLetters",
      tags,
      summary: "List a tenant's dead letters (root key)",
      request: { params: z.object({ tenant_id: TenantIdParam }), query: z.object(PaginationQuery) },
      responses: { 200: jsonResponse(paginated(DeadLetterSchema), "A page of dead letters, newest first.") },
    }),
    async (c) => {
      const { tenant_id } = c.req.valid("param");
      rootOnly(c, tenant_id);
      const { limit, cursor } = c.req.valid("query");
      const rows = await listDeadLetters(c.var.services, tenant_id, { limit, before: decodeCursor(cursor) });
      const p = page(rows, limit);
      return c.json({ data: p.data.map(deadLetterView), next_cursor: p.next_cursor }, 200);
    },
  );

  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/dead-letters/{dead_letter_id}/redrive",
      operationId: "redriveDeadLetter",
      tags,
      summary: "Queue a dead letter again (root key)",
      request: { params: z.object({ tenant_id: TenantIdParam, dead_letter_id: idParam("dead_letter_id", "dlq") }) },
      responses: {
        202: jsonResponse(
          z.object({ id: z.string(), queued: z.literal(true) }).openapi("DeadLetterRedrive"),
          "Queued again; the record leaves the list.",
        ),
        409: errorResponse(
          "Already re-driven, or the message cannot be re-driven (no version of the service understands it).",
        ),
      },
    }),
    async (c) => {
      const { tenant_id, dead_letter_id } = c.req.valid("param");
      rootOnly(c, tenant_id);
      return c.json(await redriveDeadLetter(c.var.services, tenant_id, dead_letter_id), 202);
    },
  );
}
