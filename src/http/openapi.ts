/**
 * Shared OpenAPI pieces: the error envelope, and `apiRoute`, which every /v1 route is declared
 * with so the document is exact without per-route boilerplate: a required `operationId`, the
 * bearer scheme, each error status the route can answer (with its own description), `x-request-id`
 * on every answer and `Retry-After` on 429.
 */
import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import { ERROR_STATUS } from "../errors";

const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
      message: z.string(),
      request_id: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

const REQUEST_ID_HEADER = {
  "x-request-id": {
    description: "This request's id (`req_...`); the same id is in error bodies and in the service's log.",
    required: true,
    schema: { type: "string" as const, example: "req_01jd0000000000000000000000" },
  },
};

const RETRY_AFTER_HEADER = {
  "retry-after": {
    description: "Seconds to wait before trying again.",
    required: true,
    schema: { type: "integer" as const, example: 10 },
  },
};

export const errorResponse = (description: string) => ({
  description,
  headers: REQUEST_ID_HEADER,
  content: { "application/json": { schema: ErrorSchema } },
});

const errorResponses = {
  400: errorResponse("Invalid input; `issues` names each bad field."),
  401: errorResponse("Missing or invalid credentials."),
  403: errorResponse("The credentials lack the scope this route needs."),
  404: errorResponse("Not found (or belongs to another tenant)."),
  500: errorResponse("Internal error; the detail is logged under the request id."),
  503: errorResponse(
    "Briefly unavailable (the tenant's storage is overloaded or restarting); retry after `Retry-After` seconds.",
  ),
} as const;

/** The per-tenant action limit (src/services/tenant-action-limit.ts), for a route's own responses. */
export const tenantActionLimited = {
  429: errorResponse("Too many of these calls for this tenant; retry after `Retry-After` seconds."),
} as const;

/**
 * The statuses a route answers beyond the ones apiRoute derives from its shape, each with the
 * route's own reason: 409 (conflict), 413 (body too large), 422 (well-formed but refused), 429
 * (rate limited; Retry-After is declared for it).
 */
interface ExtraAnswers {
  409?: string;
  413?: string;
  422?: string;
  429?: string;
}

const UNSUPPORTED_MEDIA_TYPE = "The body is not JSON: send `content-type: application/json`.";

type ResponseConfig = RouteConfig["responses"][string];

/** Adds the request-id header to one answer (and Retry-After to a 429). */
function withHeaders(status: string, response: ResponseConfig): ResponseConfig {
  const own = (response as { headers?: unknown }).headers;
  const headers = {
    ...(own && typeof own === "object" && !("_zod" in own) ? own : {}),
    ...REQUEST_ID_HEADER,
    ...(status === "429" || status === "503" ? RETRY_AFTER_HEADER : {}),
  };
  return { ...response, headers } as ResponseConfig;
}

/**
 * A /v1 route: `createRoute` plus the answers every such route gives. 400 when the route takes
 * any input, 401 and 403 always (every /v1 route checks a key and a scope), 404 when the path
 * names something, 415 when it takes a JSON body, 500 and 503 always, and the `extra` ones it declares.
 */
export function apiRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P; operationId: string }>(
  route: R,
  extra: ExtraAnswers = {},
) {
  const req = route.request ?? {};
  const errors: Record<string, ResponseConfig> = {};
  if (req.params || req.query || req.body || req.headers) errors[400] = errorResponses[400];
  errors[401] = errorResponses[401];
  errors[403] = errorResponses[403];
  if (route.path.includes("{")) errors[404] = errorResponses[404];
  if (req.body) errors[415] = errorResponse(UNSUPPORTED_MEDIA_TYPE);
  for (const [status, description] of Object.entries(extra))
    if (description) errors[status] = errorResponse(description);
  errors[500] = errorResponses[500];
  errors[503] = errorResponses[503];
  const responses: Record<string, ResponseConfig> = {};
  // The route's own answers win (a route may describe a standard error its own way).
  for (const [status, response] of Object.entries({ ...errors, ...route.responses }))
    responses[status] = withHeaders(status, response);
  return createRoute({ ...route, security: route.security ?? bearerSecurity, responses } as R);
}

export const jsonBody = <T extends z.ZodTypeAny>(schema: T, description?: string) => ({
  content: { "application/json": { schema } },
  required: true,
  ...(description ? { description } : {}),
});

export const jsonResponse = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const bearerSecurity = [{ bearerAuth: [] }];
