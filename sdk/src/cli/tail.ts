/**
 * `edgehooks tail <tenant>`: follows the tenant's deliveries as they happen. Each poll walks the
 * delivery list (newest first, following next_cursor) back to the start of the tail and prints
 * every delivery that is new or whose status changed since it was last printed.
 */
import { parseArgs } from "node:util";
import type { Schemas } from "../client.js";
import type { Ctx } from "./commands.js";
import { paint, statusColor, UsageError } from "./io.js";
import { printable } from "./printable.js";

type Delivery = Schemas["Delivery"];

/** At most this many deliveries are walked per poll: a burst beyond it is printed on the next polls. */
const MAX_PER_POLL = 1000;

export async function tail(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      interval: { type: "string" },
      since: { type: "string" },
      endpoint: { type: "string" },
      "exit-after": { type: "string" },
    },
  });
  const tenantId = positionals[0];
  if (!tenantId)
    throw new UsageError("missing a tenant id: edgehooks tail <tenant> [--json] [--since <time>] [--endpoint <ep>]");
  const interval = Number(values.interval ?? 1000);
  const since = values.since ?? new Date().toISOString();
  // For scripts and tests: stop after this many lines printed.
  const exitAfter = values["exit-after"] ? Number(values["exit-after"]) : Number.POSITIVE_INFINITY;
  const printed = new Map<string, string>();
  let lines = 0;
  let stop = false;
  void ctx.io.stopped.then(() => {
    stop = true;
  });
  await ctx.eh.tenants.get(tenantId); // a clear 404 now rather than an empty tail
  ctx.io.err(`following deliveries of ${tenantId} since ${since} (Ctrl-C to stop)`);
  while (!stop && lines < exitAfter) {
    const fresh: Delivery[] = [];
    for await (const d of ctx.eh.deliveries.iterate(tenantId, {
      limit: 100,
      since,
      ...(values.endpoint ? { endpoint_id: values.endpoint } : {}),
    })) {
      if (printed.get(d.id) !== `${d.status}/${d.attempt_count}`) fresh.push(d);
      if (fresh.length >= MAX_PER_POLL) break;
    }
    for (const d of fresh.reverse()) {
      printed.set(d.id, `${d.status}/${d.attempt_count}`);
      ctx.io.out(ctx.json ? JSON.stringify(d) : line(ctx, d));
      if (++lines >= exitAfter) break;
    }
    if (lines >= exitAfter) break;
    await Promise.race([new Promise((r) => setTimeout(r, interval)), ctx.io.stopped]);
  }
}

function line(ctx: Ctx, d: Delivery): string {
  const code = d.last_status_code ?? d.last_error ?? "";
  return [
    d.updated_at,
    paint(ctx.io, statusColor(d.status), d.status.padEnd(13)),
    printable(d.event_type),
    d.id,
    `→ ${d.endpoint_id}`,
    `attempts ${d.attempt_count}`,
    printable(String(code)),
  ].join("  ");
}
