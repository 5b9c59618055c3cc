/** Shared OpenAPI pieces: the error envelope and the standard error answers every route lists. */
import { z } from "@hono/zod-openapi";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum([
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "conflict",
        "payload_too_large",
        "unprocessable",
        "rate_limited",
        "internal",
      ]),
      message: z.string(),
      request_id: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

export const errorResponses = {
  400: errorResponse("Invalid input; `issues` names each bad field."),
  401: errorResponse("Missing or invalid credentials."),
  403: errorResponse("The credentials lack the scope this route needs."),
  404: errorResponse("Not found (or belongs to another tenant)."),
  500: errorResponse("Internal error; the detail is logged under the request id."),
} as const;

/** The per-tenant action limit (src/http/tenant-action-limit.ts). */
export const tenantActionLimited = { 429: errorResponse("Too many of these calls for this tenant; retry after `Retry-After` seconds.") } as const;

export const jsonBody = <T extends z.ZodTypeAny>(schema: T, description?: string) => ({
  content: { "application/json": { schema } },
  required: true,
  ...(description ? { description } : {}),
});

export const jsonResponse = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const bearerSecurity = [{ bearerAuth: [] }];
