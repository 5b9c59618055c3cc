/**
 * The look-up commands: `events get`, `deliveries get` (what was sent, and what each attempt got
 * back) and `portal` (a sign-in link for a tenant's portal). Each prints lines a person reads, or
 * the API's JSON with --json.
 */
import { parseArgs } from "node:util";
import type { Ctx } from "./commands.js";
import { paint, statusColor, UsageError } from "./io.js";
import { printable } from "./printable.js";

const need = (value: string | undefined, usage: string): string => {
  if (!value) throw new UsageError(`missing ${usage}`);
  return value;
};

/** `events get <tenant> <event>`: the event with its payload, then one line per delivery. */
export async function events(ctx: Ctx, argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [sub, tenant, id] = positionals;
  if (sub !== "get") throw new UsageError(`unknown: events${sub ? ` ${sub}` : ""} (get <tenant> <event>)`);
  const tenantId = need(tenant, "a tenant id: edgehooks events get <tenant> <event>");
  const eventId = need(id, "an event id: edgehooks events get <tenant> <event>");
  const event = await ctx.eh.events.get(tenantId, eventId);
  const deliveries = (await ctx.eh.events.deliveries(tenantId, eventId, { limit: 100 })).data;
  if (ctx.json) {
    ctx.io.out(JSON.stringify({ ...event, deliveries }));
    return;
  }
  const { io } = ctx;
  io.out(`${paint(io, "bold", event.id)}  ${printable(event.type)}  ${event.created_at}`);
  if (event.channels.length) io.out(`channels: ${printable(event.channels.join(", "))}`);
  io.out(printable(JSON.stringify(event.data ?? null, null, 2), { multiline: true }));
  if (!deliveries.length) io.out("no deliveries (no active endpoint matched, or fan-out has not run yet)");
  for (const d of deliveries)
    io.out(
      `  ${d.id}  ${paint(io, statusColor(d.status), d.status)}  → ${d.endpoint_id}  ${d.attempt_count} attempt(s)`,
    );
}

/** `deliveries get <tenant> <delivery>`: where it stands and every attempt, oldest first. */
export async function deliveries(ctx: Ctx, argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [sub, tenant, id] = positionals;
  if (sub !== "get") throw new UsageError(`unknown: deliveries${sub ? ` ${sub}` : ""} (get <tenant> <delivery>)`);
  const tenantId = need(tenant, "a tenant id: edgehooks deliveries get <tenant> <delivery>");
  const d = await ctx.eh.deliveries.get(
    tenantId,
    need(id, "a delivery id: edgehooks deliveries get <tenant> <delivery>"),
  );
  if (ctx.json) {
    ctx.io.out(JSON.stringify(d));
    return;
  }
  const { io } = ctx;
  io.out(
    `${paint(io, "bold", d.id)}  ${paint(io, statusColor(d.status), d.status)}  ${printable(d.event_type)}  ${d.event_id} → ${d.endpoint_id}`,
  );
  if (d.next_attempt_at) io.out(`next attempt at ${d.next_attempt_at}`);
  for (const a of d.attempts) {
    io.out(
      `  attempt ${a.number} (${a.trigger})  ${a.started_at}  ${a.status_code === null ? printable(a.error ?? "no answer") : `HTTP ${a.status_code}`}  ${a.duration_ms} ms`,
    );
  }
  if (!d.attempts.length) io.out("  no attempt yet");
  io.out(`the payload: edgehooks events get ${tenantId} ${d.event_id}`);
}

/** `portal <tenant>`: a one-time sign-in link to the tenant's portal on stdout (so `open "$(...)"` works). */
export async function portal(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "read-only": { type: "boolean" }, "expires-in": { type: "string" } },
  });
  const tenantId = need(positionals[0], "a tenant id: edgehooks portal <tenant> [--read-only] [--expires-in SECONDS]");
  const expires = values["expires-in"];
  if (expires !== undefined && !/^\d+$/.test(expires))
    throw new UsageError(`--expires-in takes whole seconds, not '${expires}'`);
  const s = await ctx.eh.portalSessions.create(tenantId, {
    ...(values["read-only"] ? { read_only: true } : {}),
    ...(expires !== undefined ? { expires_in_s: Number(expires) } : {}),
  });
  if (ctx.json) {
    ctx.io.out(JSON.stringify(s));
    return;
  }
  ctx.io.out(s.url);
  ctx.io.err(
    `open it in a browser within 10 minutes (it works once); the ${s.read_only ? "read-only " : ""}session lasts until ${s.expires_at}. Sign out in the portal, or DELETE …/portal-sessions/${s.id}, to end it.`,
  );
}
