/** The Worker: HTTP API (fetch), fan-out (queue), the sweep (queue) and key rotation (scheduled), and both Durable Objects. */
import { env } from "cloudflare:workers";
import { createApp } from "./app";
import { readConfig } from "./config";
import { EndpointDispatcher as PlainEndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
import { runScheduled } from "./jobs/scheduled";
import {
  type BindingKinds,
  checkedDurableObject,
  checkedEnv,
  checkedFetch,
  inInvocation,
  platformLimitsEnforced,
} from "./lib/platform-limits";
import { queueHandler } from "./queue/handler";
import { TenantLog as PlainTenantLog } from "./tenant-log/tenant-log";

const app = createApp();

// The configuration is read once at load: a setting that must not be served (src/config.ts,
// ConfigError) makes `wrangler deploy` and `wrangler dev` fail with its message, not a request.
if (env) readConfig(env as Env);

const handlers = {
  fetch: app.fetch,
  queue: queueHandler,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, unknown>;

// The platform-limits layer (src/lib/platform-limits.ts), decided once at load: with
// PLATFORM_LIMITS=enforce (tests, `npm start`) every handler and Durable Object call runs as a
// checked invocation over checked bindings; otherwise the plain ones are exported as they are.
const enforce = platformLimitsEnforced(env as { PLATFORM_LIMITS?: string });
const kinds: BindingKinds = {
  durableObjects: ["TENANT_LOG", "DISPATCHER"],
  queues: ["EVENTS_QUEUE", "SWEEP_QUEUE"],
  datasets: ["DELIVERY_ANALYTICS"],
  databases: ["DB"],
};
if (enforce) globalThis.fetch = checkedFetch(globalThis.fetch);

export const EndpointDispatcher = enforce
  ? checkedDurableObject(PlainEndpointDispatcher, kinds)
  : PlainEndpointDispatcher;
export const TenantLog = enforce ? checkedDurableObject(PlainTenantLog, kinds) : PlainTenantLog;

const checkedHandlers: typeof handlers = {
  fetch: (request, env, ctx) =>
    inInvocation({}, () => handlers.fetch(request, env && checkedEnv(env as Env, kinds), ctx)),
  queue: (batch, env, ctx) => inInvocation({}, () => handlers.queue(batch, checkedEnv(env, kinds), ctx)),
  scheduled: (controller, env, ctx) =>
    inInvocation({}, () => handlers.scheduled(controller, checkedEnv(env, kinds), ctx)),
};

export default enforce ? checkedHandlers : handlers;
