/**
 * The ergonomic layer over the generated client: one object per resource, each call answering the
 * bare resource or throwing EdgehooksError, and iterators that follow `next_cursor`. Every type
 * comes from schema.gen.ts (generated from openapi.json); none is written by hand here.
 */
import createClient, { type Client } from "openapi-fetch";
import { EdgehooksError } from "./errors.js";
import { type Page, paginate } from "./paginate.js";
import type { components, operations, paths } from "./schema.gen.js";

export type Schemas = components["schemas"];
type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
type ListQuery<Op extends keyof operations> = Omit<Query<Op>, "cursor">;

export interface EdgehooksOptions {
  /** The deployment's base URL, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** The root key, an API key or a portal token. */
  apiKey: string;
  /** A fetch to use instead of the global one (a Worker's service binding, a test's SELF). */
  fetch?: (request: Request) => Promise<Response>;
}

/** What openapi-fetch answers: `data` on a 2xx, `error` (the parsed body) otherwise. */
type Result<T> = { data?: T; error?: unknown; response: Response };

async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw EdgehooksError.from(response, error ?? null);
  return data as T;
}

export class Edgehooks {
  /** The generated client itself, for anything the helpers below do not cover. */
  readonly raw: Client<paths>;

  constructor(options: EdgehooksOptions) {
    const fetcher = options.fetch;
    this.raw = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers: { authorization: `Bearer ${options.apiKey}` },
      ...(fetcher ? { fetch: (request: Request) => fetcher(request) } : {}),
    });
  }

  readonly tenants = {
    create: (body: Schemas["CreateTenantInput"]) => unwrap(this.raw.POST("/v1/tenants", { body })),
    list: (query: Query<"listTenants"> = {}) => unwrap(this.raw.GET("/v1/tenants", { params: { query } })),
    iterate: (query: ListQuery<"listTenants"> = {}) => paginate((cursor) => this.tenants.list({ ...query, cursor })),
    get: (tenantId: string) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
    update: (tenantId: string, body: Schemas["UpdateTenantInput"]) =>
      unwrap(this.raw.PATCH("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } }, body })),
    delete: (tenantId: string) =>
      unwrap(this.raw.DELETE("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
    stats: (tenantId: string, query: Query<"getTenantStats"> = {}) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}/stats", { params: { path: { tenant_id: tenantId }, query } })),
  };

  readonly endpoints = {
    create: (tenantId: string, body: Schemas["CreateEndpointInput"]) =>
      unwrap(this.raw.POST("/v1/tenants/{tenant_id}/endpoints", { params: { path: { tenant_id: tenantId } }, body })),
    list: (tenantId: string, query: Query<"listEndpoints"> = {}) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}/endpoints", { params: { path: { tenant_id: tenantId }, query } })),
    iterate: (tenantId: string, query: ListQuery<"listEndpoints"> = {}) =>
      paginate((cursor) => this.endpoints.list(tenantId, { ...query, cursor })),
    get: (tenantId: string, endpointId: string) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
        }),
      ),
    update: (tenantId: string, endpointId: string, body: Schemas["UpdateEndpointInput"]) =>
      unwrap(
        this.raw.PATCH("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
          body,
        }),
      ),
    delete: (tenantId: string, endpointId: string) =>
      unwrap(
        this.raw.DELETE("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
        }),
      ),
    enable: (tenantId: string, endpointId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/enable", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
        }),
      ),
    disable: (tenantId: string, endpointId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/disable", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
        }),
      ),
    test: (tenantId: string, endpointId: string, body: Schemas["TestEndpointInput"] = {}) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
          body,
        }),
      ),
    testFilter: (tenantId: string, endpointId: string, body: Schemas["TestFilterInput"]) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/test-filter", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
          body,
        }),
      ),
    rotateSecret: (tenantId: string, endpointId: string, body: Schemas["RotateSecretInput"] = {}) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
          body,
        }),
      ),
    /** After the receiver holds the new secret: a vendor-style header signs with it from now on. */
    commitRotation: (tenantId: string, endpointId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret/commit", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
        }),
      ),
    recover: (tenantId: string, endpointId: string, body: Schemas["RecoverInput"]) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/recover", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId } },
          body,
        }),
      ),
    stats: (tenantId: string, endpointId: string, query: Query<"getEndpointStats"> = {}) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/stats", {
          params: { path: { tenant_id: tenantId, endpoint_id: endpointId }, query },
        }),
      ),
  };

  readonly events = {
    /** `idempotencyKey`: a repeat within 24 h answers the same event and delivers nothing new. */
    send: (tenantId: string, body: Schemas["CreateEventInput"], options: { idempotencyKey?: string } = {}) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/events", {
          params: {
            path: { tenant_id: tenantId },
            header: options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {},
          },
          body,
        }),
      ),
    sendBatch: (tenantId: string, events: Schemas["CreateEventInput"][]) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/events/batch", {
          params: { path: { tenant_id: tenantId } },
          body: { events },
        }),
      ),
    list: (tenantId: string, query: Query<"listEvents"> = {}) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}/events", { params: { path: { tenant_id: tenantId }, query } })),
    iterate: (tenantId: string, query: ListQuery<"listEvents"> = {}) =>
      paginate((cursor) => this.events.list(tenantId, { ...query, cursor })),
    get: (tenantId: string, eventId: string) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/events/{event_id}", {
          params: { path: { tenant_id: tenantId, event_id: eventId } },
        }),
      ),
    deliveries: (tenantId: string, eventId: string, query: Query<"listEventDeliveries"> = {}) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/events/{event_id}/deliveries", {
          params: { path: { tenant_id: tenantId, event_id: eventId }, query },
        }),
      ),
    resend: (tenantId: string, eventId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/events/{event_id}/resend", {
          params: { path: { tenant_id: tenantId, event_id: eventId } },
        }),
      ),
  };

  readonly deliveries = {
    list: (tenantId: string, query: Query<"listDeliveries"> = {}) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}/deliveries", { params: { path: { tenant_id: tenantId }, query } })),
    iterate: (tenantId: string, query: ListQuery<"listDeliveries"> = {}) =>
      paginate((cursor) => this.deliveries.list(tenantId, { ...query, cursor })),
    /** The delivery with every attempt, oldest first. */
    get: (tenantId: string, deliveryId: string) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", {
          params: { path: { tenant_id: tenantId, delivery_id: deliveryId } },
        }),
      ),
    retry: (tenantId: string, deliveryId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/retry", {
          params: { path: { tenant_id: tenantId, delivery_id: deliveryId } },
        }),
      ),
    cancel: (tenantId: string, deliveryId: string) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/cancel", {
          params: { path: { tenant_id: tenantId, delivery_id: deliveryId } },
        }),
      ),
    attempts: (tenantId: string, query: Query<"listAttempts"> = {}) =>
      unwrap(this.raw.GET("/v1/tenants/{tenant_id}/attempts", { params: { path: { tenant_id: tenantId }, query } })),
    iterateAttempts: (tenantId: string, query: ListQuery<"listAttempts"> = {}) =>
      paginate((cursor) => this.deliveries.attempts(tenantId, { ...query, cursor })),
    attempt: (tenantId: string, attemptId: string) =>
      unwrap(
        this.raw.GET("/v1/tenants/{tenant_id}/attempts/{attempt_id}", {
          params: { path: { tenant_id: tenantId, attempt_id: attemptId } },
        }),
      ),
  };

  readonly tasks = {
    get: (taskId: string) => unwrap(this.raw.GET("/v1/tasks/{task_id}", { params: { path: { task_id: taskId } } })),
    /** Stops a replay or recover: nothing of it is sent after this answers. */
    cancel: (taskId: string) =>
      unwrap(this.raw.POST("/v1/tasks/{task_id}/cancel", { params: { path: { task_id: taskId } } })),
  };

  readonly replays = {
    /** The plan of a replay (what it would send, per endpoint and status); sends nothing. */
    plan: async (tenantId: string, body: Omit<Schemas["ReplayInput"], "dry_run">) =>
      (await unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/replays", {
          params: { path: { tenant_id: tenantId } },
          body: { ...body, dry_run: true },
        }),
      )) as Schemas["ReplayPlan"],
    /** Starts a replay: a task paced by each endpoint's rate limit (tasks.get for progress, tasks.cancel to stop). */
    start: async (tenantId: string, body: Omit<Schemas["ReplayInput"], "dry_run">) =>
      (await unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/replays", {
          params: { path: { tenant_id: tenantId } },
          body: { ...body, dry_run: false },
        }),
      )) as Schemas["Task"],
  };

  readonly portalSessions = {
    create: (tenantId: string, body: Schemas["CreatePortalSessionInput"] = {}) =>
      unwrap(
        this.raw.POST("/v1/tenants/{tenant_id}/portal-sessions", { params: { path: { tenant_id: tenantId } }, body }),
      ),
    revoke: (tenantId: string, sessionId: string) =>
      unwrap(
        this.raw.DELETE("/v1/tenants/{tenant_id}/portal-sessions/{session_id}", {
          params: { path: { tenant_id: tenantId, session_id: sessionId } },
        }),
      ),
  };

  readonly apiKeys = {
    create: (body: Schemas["CreateApiKeyInput"]) => unwrap(this.raw.POST("/v1/api-keys", { body })),
    list: (query: Query<"listApiKeys"> = {}) => unwrap(this.raw.GET("/v1/api-keys", { params: { query } })),
    iterate: (query: ListQuery<"listApiKeys"> = {}) => paginate((cursor) => this.apiKeys.list({ ...query, cursor })),
    revoke: (keyId: string) =>
      unwrap(this.raw.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: keyId } } })),
  };

  readonly eventTypes = {
    create: (body: Schemas["CreateEventTypeInput"]) => unwrap(this.raw.POST("/v1/event-types", { body })),
    list: (query: Query<"listEventTypes"> = {}) => unwrap(this.raw.GET("/v1/event-types", { params: { query } })),
    iterate: (query: ListQuery<"listEventTypes"> = {}) =>
      paginate((cursor) => this.eventTypes.list({ ...query, cursor })),
    get: (name: string) => unwrap(this.raw.GET("/v1/event-types/{name}", { params: { path: { name } } })),
    update: (name: string, body: Schemas["UpdateEventTypeInput"]) =>
      unwrap(this.raw.PATCH("/v1/event-types/{name}", { params: { path: { name } }, body })),
    delete: (name: string) => unwrap(this.raw.DELETE("/v1/event-types/{name}", { params: { path: { name } } })),
  };
}

export type { Page };
