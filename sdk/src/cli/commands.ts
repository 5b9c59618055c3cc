/** The resource commands: tenants, endpoints, send, replay. Each prints a line per fact, or JSON with --json. */
import { parseArgs } from "node:util";
import type { Edgehooks } from "../client.js";
import { EdgehooksError } from "../errors.js";
import { type Io, paint, statusColor, UsageError } from "./io.js";
import { printable } from "./printable.js";

export interface Ctx {
  eh: Edgehooks;
  io: Io;
  json: boolean;
}

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
};

function parseJson(text: string | undefined, flag: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${flag} is not valid JSON: ${text}`);
  }
}

const show = (ctx: Ctx, value: unknown, line: () => string) => ctx.io.out(ctx.json ? JSON.stringify(value) : line());

export async function tenants(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { id: { type: "string" }, limit: { type: "string" } },
  });
  const [sub = "ls", arg] = positionals;
  if (sub === "ls") {
    for await (const t of ctx.eh.tenants.iterate({ limit: Number(values.limit ?? 100) }))
      show(ctx, t, () => `${t.id}\t${printable(t.name)}\t${t.created_at}`);
  } else if (sub === "create") {
    const t = await ctx.eh.tenants.create({
      name: need(arg, "the tenant's name: edgehooks tenants create <name> [--id ID]"),
      ...(values.id ? { id: values.id } : {}),
    });
    show(ctx, t, () => `created tenant ${paint(ctx.io, "bold", printable(t.id))} (${printable(t.name)})`);
  } else if (sub === "get") {
    const t = await ctx.eh.tenants.get(need(arg, "a tenant id"));
    ctx.io.out(JSON.stringify(t, null, ctx.json ? undefined : 2));
  } else if (sub === "delete") {
    await ctx.eh.tenants.delete(need(arg, "a tenant id"));
    show(ctx, { deleted: arg }, () => `deleted tenant ${arg} and everything it had`);
  } else throw new UsageError(`unknown: tenants ${sub} (ls, create, get, delete)`);
}

/** False when the command ran but what it tried failed (a test the receiver did not answer 2xx): exit 1. */
export async function endpoints(ctx: Ctx, argv: string[]): Promise<boolean> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "event-type": { type: "string", multiple: true },
      filter: { type: "string" },
      description: { type: "string" },
      type: { type: "string" },
      data: { type: "string" },
      grace: { type: "string" },
      commit: { type: "boolean" },
    },
  });
  const [sub = "ls", tenant, arg] = positionals;
  const tenantId = need(tenant, `a tenant id: edgehooks endpoints ${sub} <tenant> ...`);
  if (sub === "ls") {
    for await (const e of ctx.eh.endpoints.iterate(tenantId, { limit: 100 })) {
      show(
        ctx,
        e,
        () =>
          `${e.id}\t${paint(ctx.io, e.status === "active" ? "green" : "red", e.status)}\t${printable(e.url)}\t${printable((e.event_types ?? ["*"]).join(","))}`,
      );
    }
  } else if (sub === "create") {
    const e = await ctx.eh.endpoints.create(tenantId, {
      url: need(arg, "the endpoint's URL: edgehooks endpoints create <tenant> <url>"),
      ...(values["event-type"] ? { event_types: values["event-type"] } : {}),
      ...(values.filter ? { filter: parseJson(values.filter, "--filter") as Record<string, never> } : {}),
      ...(values.description ? { description: values.description } : {}),
    });
    show(
      ctx,
      e,
      () =>
        `created endpoint ${paint(ctx.io, "bold", e.id)} → ${printable(e.url)}\nsecret: ${printable(e.secret)}\n(the portal's "Signing secret" page and GET …/endpoints/${e.id}/secret show it again)`,
    );
    // Created, but likely a mistake (another endpoint on the same URL): said on stderr, so --json stays one object.
    for (const w of e.warnings ?? [])
      ctx.io.err(`${paint(ctx.io, "yellow", "warning")} ${printable(w.message)} (${w.endpoint_ids.join(", ")})`);
  } else if (sub === "test") {
    const a = await ctx.eh.endpoints.test(tenantId, need(arg, "an endpoint id"), {
      ...(values.type ? { event_type: values.type } : {}),
      ...(values.data ? { data: parseJson(values.data, "--data") } : {}),
    });
    const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
    show(
      ctx,
      a,
      () =>
        `${paint(ctx.io, ok ? "green" : "red", ok ? "delivered" : "failed")}: ${a.status_code ?? a.error} in ${a.duration_ms} ms${a.response_body ? `\n${printable(a.response_body.slice(0, 500), { multiline: true })}` : ""}`,
    );
    return ok;
  } else if (sub === "rotate" && values.commit) {
    // The rotation's second step: the receiver holds the new secret, so the vendor-style header may sign with it.
    if (values.grace)
      throw new UsageError("--commit finishes a rotation already made; --grace belongs to the rotation itself");
    const r = await ctx.eh.endpoints.commitRotation(
      tenantId,
      need(arg, "an endpoint id: edgehooks endpoints rotate <tenant> <endpoint> --commit"),
    );
    show(
      ctx,
      r,
      () =>
        `committed: every signature header of ${r.endpoint_id} now uses the new secret; ${r.live_secrets > 1 ? `the previous one still signs webhook-signature until ${r.previous_secrets_expire_at}` : "no previous secret signs any more"}`,
    );
  } else if (sub === "rotate") {
    const grace = values.grace;
    if (grace !== undefined && !/^\d+$/.test(grace))
      throw new UsageError(`--grace takes whole seconds, not '${grace}'`);
    const r = await ctx.eh.endpoints.rotateSecret(
      tenantId,
      need(arg, "an endpoint id: edgehooks endpoints rotate <tenant> <endpoint>"),
      grace !== undefined ? { grace_period_s: Number(grace) } : {},
    );
    show(
      ctx,
      r,
      () =>
        `new secret: ${r.secret}\nthe previous one signs until ${r.previous_secrets_expire_at ?? "now"}${
          r.pending_commit
            ? `\nthe vendor-style signature header still uses the previous secret: once the receiver holds the new one, run\n  edgehooks endpoints rotate ${tenantId} ${r.endpoint_id} --commit`
            : ""
        }`,
    );
  } else if (sub === "disable" || sub === "enable") {
    const id = need(arg, `an endpoint id: edgehooks endpoints ${sub} <tenant> <endpoint>`);
    const e =
      sub === "disable" ? await ctx.eh.endpoints.disable(tenantId, id) : await ctx.eh.endpoints.enable(tenantId, id);
    show(ctx, e, () => `${e.id} is ${e.status}`);
  } else if (sub === "delete") {
    const id = need(arg, "an endpoint id: edgehooks endpoints delete <tenant> <endpoint>");
    await ctx.eh.endpoints.delete(tenantId, id);
    show(ctx, { id, deleted: true }, () => `deleted endpoint ${id}; its pending deliveries are cancelled`);
  } else throw new UsageError(`unknown: endpoints ${sub} (ls, create, test, rotate, disable, enable, delete)`);
  return true;
}

export async function send(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: "string" },
      "idempotency-key": { type: "string" },
      channel: { type: "string", multiple: true },
    },
  });
  const [tenant, type] = positionals;
  // The raw call, for its headers: a reused Idempotency-Key answers Idempotent-Replayed: true.
  const { data, error, response } = await ctx.eh.raw.POST("/v1/tenants/{tenant_id}/events", {
    params: {
      path: { tenant_id: need(tenant, "a tenant id: edgehooks send <tenant> <type> --data '{...}'") },
      header: values["idempotency-key"] ? { "idempotency-key": values["idempotency-key"] } : {},
    },
    body: {
      type: need(type, "an event type: edgehooks send <tenant> <type> --data '{...}'"),
      data: values.data === undefined ? {} : parseJson(values.data, "--data"),
      ...(values.channel ? { channels: values.channel } : {}),
    },
  });
  if (!response.ok || !data) throw EdgehooksError.from(response, error ?? null);
  const event = data;
  const replayed = response.headers.get("idempotent-replayed") === "true";
  show(ctx, { ...event, ...(replayed ? { replayed } : {}) }, () =>
    replayed
      ? `${event.id} (${event.type}) (already accepted: this Idempotency-Key was used before, so nothing new is sent)`
      : `accepted ${paint(ctx.io, "bold", event.id)} (${event.type})`,
  );
}

/**
 * `replay <tenant> <delivery_id>`: one attempt now. `replay <tenant> --endpoint ep --since T`: recover, followed to the end.
 * `replay <tenant> --mode retry|missing --since T [filters] [--dry-run]`: a replay by filter; --dry-run prints its plan.
 */
export async function replay(ctx: Ctx, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      endpoint: { type: "string", multiple: true },
      since: { type: "string" },
      until: { type: "string" },
      mode: { type: "string" },
      type: { type: "string", multiple: true },
      status: { type: "string", multiple: true },
      "status-class": { type: "string" },
      channel: { type: "string" },
      "dry-run": { type: "boolean" },
    },
  });
  const [tenant, delivery] = positionals;
  const tenantId = need(
    tenant,
    "a tenant id: edgehooks replay <tenant> <delivery_id> | --endpoint <ep> --since <time> | --mode retry|missing --since <time> [--dry-run]",
  );
  if (delivery) {
    const a = await ctx.eh.deliveries.retry(tenantId, delivery);
    const ok = a.status_code !== null && a.status_code >= 200 && a.status_code < 300;
    show(
      ctx,
      a,
      () =>
        `attempt ${a.number} (manual): ${paint(ctx.io, ok ? "green" : "red", String(a.status_code ?? a.error))} in ${a.duration_ms} ms`,
    );
    return;
  }
  if (values.mode || values["dry-run"] || values.type || values.status || values["status-class"] || values.channel)
    return replayByFilter(ctx, tenantId, values);
  const endpoint = values.endpoint?.[0];
  if (!endpoint || !values.since)
    throw new UsageError("replay needs a delivery id, or --endpoint and --since to recover failed deliveries");
  let task = await ctx.eh.endpoints.recover(tenantId, endpoint, {
    since: values.since,
    ...(values.until ? { until: values.until } : {}),
  });
  if (!ctx.json) ctx.io.err(`recovering: task ${task.id}, ${task.total} failed deliveries`);
  while (task.status === "running") {
    await new Promise((r) => setTimeout(r, 500));
    task = await ctx.eh.tasks.get(task.id);
    if (!ctx.json) ctx.io.err(`  ${task.done}/${task.total}`);
  }
  show(
    ctx,
    task,
    () => `${paint(ctx.io, statusColor("succeeded"), task.status)}: ${task.done}/${task.total} re-queued`,
  );
}

/** A replay by filter: the plan with --dry-run, else the task followed to the end (its deliveries paced by each endpoint). */
async function replayByFilter(
  ctx: Ctx,
  tenantId: string,
  values: {
    endpoint?: string[];
    since?: string;
    until?: string;
    mode?: string;
    type?: string[];
    status?: string[];
    "status-class"?: string;
    channel?: string;
    "dry-run"?: boolean;
  },
): Promise<void> {
  if (!values.since) throw new UsageError("replay needs --since (and --mode retry|missing; retry by default)");
  const mode = values.mode ?? "retry";
  if (mode !== "retry" && mode !== "missing") throw new UsageError("--mode is retry or missing");
  // The server checks the rest (statuses, classes, the window) and names what it refuses.
  const body = {
    mode,
    since: values.since,
    ...(values.until ? { until: values.until } : {}),
    ...(values.endpoint ? { endpoint_ids: values.endpoint } : {}),
    ...(values.type ? { event_types: values.type } : {}),
    ...(values.status ? { statuses: values.status } : {}),
    ...(values["status-class"] ? { status_class: values["status-class"] } : {}),
    ...(values.channel ? { channel: values.channel } : {}),
  } as Parameters<Ctx["eh"]["replays"]["plan"]>[1];
  if (values["dry-run"]) {
    const plan = await ctx.eh.replays.plan(tenantId, body);
    show(ctx, plan, () =>
      [
        `would send ${plan.total} deliveries${plan.truncated ? " (more matched: replay the rest with a later --since)" : ""}`,
        ...plan.by_endpoint.map((e) => `  ${e.endpoint_id}: ${e.count}`),
        ...Object.entries(plan.by_status).map(([status, n]) => `  ${status}: ${n}`),
      ].join("\n"),
    );
    return;
  }
  let task = await ctx.eh.replays.start(tenantId, body);
  if (!ctx.json)
    ctx.io.err(`replaying: task ${task.id}, ${task.total} deliveries (stop it: POST /v1/tasks/${task.id}/cancel)`);
  while (task.status === "running") {
    await new Promise((r) => setTimeout(r, 500));
    task = await ctx.eh.tasks.get(task.id);
    if (!ctx.json) ctx.io.err(`  ${task.done}/${task.total}`);
  }
  show(ctx, task, () => `${paint(ctx.io, statusColor("succeeded"), task.status)}: ${task.done}/${task.total} sent`);
}
