/** The Worker: HTTP API (fetch), fan-out (queue), housekeeping (scheduled), and both Durable Objects. */
import { env as bindings } from "cloudflare:workers";
import { createApp } from "./app";
import { readConfig } from "./config";
import { consumeDeadLetters, consumeEvents } from "./queue/consumer";
import { runScheduled } from "./jobs/scheduled";

export { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
export { TenantLog } from "./tenant-log/tenant-log";

const app = createApp();

// The configuration is read once at load: a setting that must not be served (src/config.ts,
// ConfigError) makes `wrangler deploy` and `wrangler dev` fail with its message, not a request.
if (bindings) readConfig(bindings as Env);

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue.endsWith("-dlq") || batch.queue.endsWith("-dlq-final")) return consumeDeadLetters(batch, env);
    return consumeEvents(batch, env);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, unknown>;
