/**
 * `edgehooks demo`: the whole loop in one command against a running service. Starts a verifying
 * receiver on 127.0.0.1, creates a tenant and an endpoint pointing at it, posts an event, waits
 * for the verified delivery, prints the delivery log and exits. The secret stays in memory.
 */
import { parseArgs } from "node:util";
import type { Ctx } from "./commands.js";
import { paint, statusColor } from "./io.js";
import { type Received, startReceiver } from "./receiver.js";

export async function demo(ctx: Ctx, argv: string[]): Promise<boolean> {
  const { values } = parseArgs({ args: argv, options: { port: { type: "string" }, timeout: { type: "string" } } });
  const { io, eh } = ctx;
  const step = (text: string) => io.out(`${paint(io, "cyan", "▸")} ${text}`);
  const timeoutMs = Number(values.timeout ?? 30_000);

  const quiet = { ...io, out: () => {} };
  const receiver = await startReceiver(quiet, { port: Number(values.port ?? 0) });
  try {
    step(`receiver listening on ${receiver.url}/webhooks (it verifies every signature)`);
    const tenantId = `demo_${Date.now().toString(36)}`;
    await eh.tenants.create({ id: tenantId, name: "Demo customer" });
    step(`created tenant ${paint(io, "bold", tenantId)}`);
    const endpoint = await eh.endpoints.create(tenantId, {
      url: `${receiver.url}/webhooks`,
      event_types: ["job.*"],
      description: "edgehooks demo",
    });
    receiver.setSecret(endpoint.secret);
    step(
      `created endpoint ${paint(io, "bold", endpoint.id)} → ${endpoint.url} (its secret went straight to the receiver)`,
    );

    const arrived = new Promise<Received>((resolve) => receiver.onReceived((r) => r.verified && resolve(r)));
    const event = await eh.events.send(
      tenantId,
      { type: "job.completed", data: { job_id: "job_123", pages: 3 } },
      { idempotencyKey: `demo-${tenantId}` },
    );
    step(`posted event ${paint(io, "bold", event.id)} (job.completed)`);
    const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
    const got = await Promise.race([arrived, timer]);
    if (!got) {
      io.err(paint(io, "red", `no verified delivery within ${timeoutMs / 1000} s; see \`edgehooks tail ${tenantId}\``));
      return false;
    }
    step(`receiver got webhook-id ${got.id}: ${paint(io, "green", "signature verified ✔")}`);

    // The log may trail the receiver by a moment: the attempt is recorded after the answer.
    let delivery = (await eh.deliveries.list(tenantId, { event_id: event.id })).data[0];
    for (let i = 0; i < 100 && delivery?.status !== "succeeded"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      delivery = (await eh.deliveries.list(tenantId, { event_id: event.id })).data[0];
    }
    if (!delivery) return false;
    const detail = await eh.deliveries.get(tenantId, delivery.id);
    io.out("");
    io.out(paint(io, "bold", "Delivery log"));
    io.out(
      `  ${detail.id}  ${paint(io, statusColor(detail.status), detail.status)}  ${detail.event_type}  → ${detail.endpoint_id}`,
    );
    for (const a of detail.attempts)
      io.out(
        `    attempt ${a.number} (${a.trigger})  ${a.started_at}  HTTP ${a.status_code ?? a.error}  ${a.duration_ms} ms`,
      );
    io.out("");
    // The demo's receiver closes when it exits: the next step starts one on the same port, so the
    // endpoint the demo made keeps delivering (and verifying) there.
    const port = new URL(receiver.url).port;
    io.out("Next: keep a receiver on the endpoint's port, then send more (two terminals):");
    io.out(`  WEBHOOK_SECRET='${endpoint.secret}' npx edgehooks listen --port ${port}`);
    io.out(`  npx edgehooks send ${tenantId} job.completed --data '{"pages":1}'`);
    io.out(`  npx edgehooks tail ${tenantId}    (follows this tenant's deliveries)`);
    return detail.status === "succeeded";
  } finally {
    await receiver.close();
  }
}
