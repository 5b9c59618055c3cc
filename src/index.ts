/** The Worker: HTTP API (fetch), fan-out (queue), the sweep (queue) and key rotation (scheduled), and both Durable Objects. */
import { createApp } from "./app";
import { consumeDeadLetters, consumeEvents } from "./queue/consumer";
import { runScheduled } from "./jobs/scheduled";
import { SWEEP_QUEUE } from "./domain/sweep";
import { consumeSweeps } from "./queue/sweep-consumer";

export { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
export { TenantLog } from "./tenant-log/tenant-log";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue === SWEEP_QUEUE) return consumeSweeps(batch, env);
    if (batch.queue.endsWith("-dlq") || batch.queue.endsWith("-dlq-final")) return consumeDeadLetters(batch, env);
    return consumeEvents(batch, env);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduled(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, unknown>;
