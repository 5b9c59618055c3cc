/**
 * The Hono app: request ids, auth, the one error envelope, routes, and the OpenAPI document.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { assertPortalScope } from "./auth/portal-scope";
import { resolvePrincipal } from "./auth/principal";
import { readConfig } from "./config";
import { ANY_ID, newId } from "./db/ids";
import { ApiError, asUnavailable, codeForStatus, errorBody } from "./errors";
import { allowedMethods } from "./http/allowed-methods";
import { assertNotThrottled, authClient, noteAuthFailure } from "./http/auth-throttle";
import { requestBodyLimit } from "./http/body-limit";
import type { AppEnv } from "./http/context";
import { jsonDepthLimit } from "./http/json-depth";
import { zodIssues } from "./http/validation";
import { errorFields, log } from "./lib/log";
import { noteRequestHost } from "./lib/self-hosts";
import { registerRoutes } from "./routes";
import { JSON_VALUE_COMPONENT } from "./routes/common";
import { serviceCtx } from "./services/context";

const ID_FIELDS: Record<string, string> = {
  ep: "endpoint_id",
  evt: "event_id",
  dlv: "delivery_id",
  att: "attempt_id",
  task: "task_id",
  key: "key_id",
};

/** decodeURIComponent that answers the raw text for malformed escapes (%ZZ, %FF) instead of throwing. */
function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The ids a request path names, as log fields (the path holds ids only, never secrets). */
function idsInPath(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = path.split("/");
  const t = parts.indexOf("tenants");
  if (t >= 0 && parts[t + 1]) out.tenant_id = safeDecode(parts[t + 1]!);
  for (const part of parts) {
    const m = ANY_ID.exec(part);
    const field = m ? ID_FIELDS[m[1]!] : undefined;
    if (field) out[field] = part;
  }
  return out;
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const body = errorBody("bad_request", "invalid request", c.get("requestId"), zodIssues(result.error));
        return c.json(body, 400);
      }
    },
  });

  app.use("*", async (c, next) => {
    const requestId = newId("req");
    c.set("requestId", requestId);
    const config = readConfig(c.env);
    c.set("config", config);
    c.set("services", serviceCtx(c.env, config));
    noteRequestHost(c.req.url);
    c.header("x-request-id", requestId);
    const started = Date.now();
    await next();
    c.header("x-request-id", requestId);
    // One structured line per request: ids and outcome, never bodies, queries or headers.
    log.info("request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      ...idsInPath(c.req.path),
    });
  });

  app.use("*", requestBodyLimit);

  // No API answer may sit in a cache (a browser's, a proxy's): several carry a secret (a new
  // endpoint, a rotation, test-url, a new API key, a portal session), the rest tenant data.
  // Set after the handler too, so error answers and routes that set their own headers carry it.
  app.use("/v1/*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });

  // A delivery of an Edgehooks (this one under a name it does not know, or another) never calls
  // the API: that is how a chain of deliveries would trigger deliveries without bound. Custom
  // headers cannot set user-agent or webhook-*, so a delivery cannot hide these.
  app.use("/v1/*", async (c, next) => {
    if (
      (c.req.header("user-agent") ?? "").startsWith("Edgehooks/") &&
      (c.req.header("webhook-signature") || c.req.header("webhook-id"))
    ) {
      throw new ApiError("forbidden", "a request sent by a webhook delivery cannot call the API (delivery loop)");
    }
    await next();
  });

  // Everything under /v1 needs a bearer key.
  app.use("/v1/*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new ApiError("unauthorized", "missing bearer token (Authorization: Bearer <key>)");
    const client = authClient((name) => c.req.header(name), match[1]!);
    assertNotThrottled(client);
    const principal = await resolvePrincipal(c.env, match[1]!, c.get("config").configCacheTtlMs);
    if (!principal) {
      await noteAuthFailure(c.env, client);
      throw new ApiError("unauthorized", "invalid or revoked API key");
    }
    assertPortalScope(principal, c.req.method, c.req.path);
    c.set("principal", principal);
    await next();
  });

  // After authentication and on the API only, so an anonymous client cannot make the isolate
  // parse its JSON (no other path takes a JSON body).
  app.use("/v1/*", jsonDepthLimit);

  registerRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("schemas", "JsonValue", JSON_VALUE_COMPONENT);
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Edgehooks API",
      version: "1",
      description: "Webhook delivery on Cloudflare Workers: ingest events, fan out, sign, deliver, retry, inspect.",
    },
    security: [{ bearerAuth: [] }],
  });

  app.notFound((c) => {
    // A path that names a resource, asked with a method it does not take: 405 says which it does.
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length) {
      c.header("allow", allowed.join(", "));
      return c.json(
        errorBody(
          "method_not_allowed",
          `${c.req.method} is not allowed here; use ${allowed.join(", ")}`,
          c.get("requestId"),
        ),
        405,
      );
    }
    return c.json(errorBody("not_found", "no such route", c.get("requestId")), 404);
  });

  app.onError((thrown, c) => {
    const requestId = c.get("requestId") ?? newId("req");
    c.header("x-request-id", requestId);
    const busy = asUnavailable(thrown);
    if (busy) log.warn("storage unavailable", { request_id: requestId, ...errorFields(thrown) });
    const err = busy ?? thrown;
    if (err instanceof ApiError) {
      if (err.status === 500) log.error("request failed", { request_id: requestId, error: err.message });
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      const message = err.status === 500 ? "internal error" : err.message;
      return c.json(errorBody(err.code, message, requestId, err.issues), err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = codeForStatus(status);
      const message =
        // A 415's own message ("Unsupported Media Type") does not say which type is; ours does.
        status === 415
          ? "the request body must be JSON: send content-type: application/json"
          : err.message || (status === 413 ? "request body is too large" : code);
      return c.json(errorBody(code, message, requestId), status);
    }
    // A failed query by its name and statement only: Drizzle's message and stack carry the bound values.
    log.error("unhandled error", { request_id: requestId, ...errorFields(err) });
    return c.json(errorBody("internal", "internal error", requestId), 500);
  });

  return app;
}
