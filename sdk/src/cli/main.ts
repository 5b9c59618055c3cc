/**
 * `edgehooks <command>`: the CLI. Errors print in the API's words (code, message, each issue,
 * request id) and exit 1; a usage mistake exits 2.
 */
import { parseArgs } from "node:util";
import { Edgehooks } from "../client.js";
import { EdgehooksError } from "../errors.js";
import { type Ctx, endpoints, replay, send, tenants } from "./commands.js";
import { configPath, readConfigFile, resolveTarget, writeConfigFile } from "./config.js";
import { demo } from "./demo.js";
import { type Io, paint, processIo, UsageError } from "./io.js";
import { readSecret } from "./prompt.js";
import { deliveries, events, portal } from "./reads.js";
import { startReceiver } from "./receiver.js";
import { tail } from "./tail.js";

const HELP = `edgehooks <command> [options]

  login [--url URL] [--key KEY]        save the deployment and key (${"$"}XDG_CONFIG_HOME/edgehooks/config.json, mode 0600); no --key: read from stdin
  tenants [ls|create <name> [--id ID]|get <id>|delete <id>]
  endpoints ls <tenant>
  endpoints create <tenant> <url> [--event-type T]... [--filter JSON] [--description D]
  endpoints test <tenant> <endpoint> [--type T] [--data JSON]
  endpoints rotate <tenant> <endpoint> [--grace SECONDS]      a new signing secret; the old one signs on for the grace period
  endpoints rotate <tenant> <endpoint> --commit               the receiver holds the new secret: a vendor-style header signs with it now
  endpoints disable|enable|delete <tenant> <endpoint>
  send <tenant> <type> [--data JSON] [--idempotency-key K] [--channel C]...
  tail <tenant> [--since TIME] [--endpoint EP] [--interval MS]   follow deliveries as they happen
  replay <tenant> <delivery>           one attempt now
  replay <tenant> --endpoint EP --since TIME [--until TIME]      re-queue failed deliveries
  replay <tenant> --mode retry|missing --since TIME [--until TIME] [--endpoint EP]... [--type T]... [--status S]... [--status-class 5xx] [--channel C] [--dry-run]
                                       send again by filter (retry) or what endpoints never got (missing); --dry-run prints the plan
  events get <tenant> <event>          the event, its payload and its deliveries
  deliveries get <tenant> <delivery>   the delivery and every attempt
  portal <tenant> [--read-only] [--expires-in SECONDS]            print a one-time sign-in link to the tenant's portal
  listen [--port 4000] [--secret whsec_...|-] [--hex-header H [--prefix P]] [--fail-first N] [--status CODE]
  demo [--port N]                      tenant + endpoint on a local verifying receiver + an event, then the log

Options for every command: --url URL, --key KEY, --json (one JSON object per line).
The key comes from --key, EDGEHOOKS_API_KEY, the login file (for its own URL only), or ./.dev.vars (a local URL only);
the URL from --url, EDGEHOOKS_URL, the login file, or http://127.0.0.1:${"$"}PORT (8787).`;

/** Splits the global flags from the command's own. */
function globals(argv: string[]) {
  const rest: string[] = [];
  const flags: { url?: string; key?: string; json: boolean; help: boolean } = { json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") flags.json = true;
    else if (a === "--help" || a === "-h") flags.help = true;
    else if (a === "--url" || a === "--key") flags[a.slice(2) as "url" | "key"] = argv[++i];
    else if (a.startsWith("--url=") || a.startsWith("--key=")) flags[a.slice(2, 5) as "url" | "key"] = a.slice(6);
    else rest.push(a);
  }
  return { flags, rest };
}

async function login(io: Io, flags: { url?: string; key?: string }): Promise<void> {
  const url =
    flags.url ?? io.env.EDGEHOOKS_URL ?? readConfigFile(io.env).url ?? `http://127.0.0.1:${io.env.PORT || "8787"}`;
  // No key in argv needed: without --key or EDGEHOOKS_API_KEY it is read from stdin (a prompt on a terminal).
  const key = flags.key ?? io.env.EDGEHOOKS_API_KEY ?? (await readSecret(`API key for ${url}: `));
  if (!key)
    throw new UsageError(
      "login needs a key: type it at the prompt, pipe it on stdin, or pass --key KEY (or EDGEHOOKS_API_KEY)",
    );
  // Check the pair before saving it: a typo should fail here, not on the next command.
  await new Edgehooks({ baseUrl: url, apiKey: key }).tenants.list({ limit: 1 });
  const path = writeConfigFile(io.env, { url, key });
  io.out(`logged in to ${url}; saved to ${path} (mode 0600)`);
}

async function listen(io: Io, argv: string[], json: boolean): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      secret: { type: "string" },
      "hex-header": { type: "string" },
      prefix: { type: "string" },
      "fail-first": { type: "string" },
      status: { type: "string" },
    },
  });
  const env = io.env;
  // `--secret -` reads it from stdin (a prompt on a terminal), so it need not sit in argv.
  const secret =
    values.secret === "-" ? await readSecret("endpoint signing secret: ") : (values.secret ?? env.WEBHOOK_SECRET);
  const hexHeader = values["hex-header"] ?? env.WEBHOOK_HEX_HEADER;
  const receiver = await startReceiver(io, {
    port: Number(values.port ?? env.RECEIVER_PORT ?? 4000),
    secret,
    signature: hexHeader
      ? { scheme: "hmac-sha256-hex", header: hexHeader, prefix: values.prefix ?? "" }
      : { scheme: "standard" },
    failFirst: Number(values["fail-first"] ?? env.FAIL_FIRST ?? 0),
    status: (values.status ?? env.STATUS) ? Number(values.status ?? env.STATUS) : undefined,
    json,
  });
  io.err(`receiver listening on ${receiver.url}; point an endpoint at ${receiver.url}/webhooks`);
  if (!secret) io.err("no --secret (or WEBHOOK_SECRET): deliveries are printed but not verified");
  await io.stopped;
  await receiver.close();
}

/** `edgehooks <command> --help`: that command's lines of the help, then the options for every command. */
function commandHelp(command: string): string | null {
  const lines = HELP.split("\n");
  const own = lines.filter((l) => l.startsWith(`  ${command} `) || l === `  ${command}`);
  if (!own.length) return null;
  const common = lines.slice(lines.findIndex((l) => l.startsWith("Options for every command")));
  return [`edgehooks ${command}`, "", ...own, "", ...common].join("\n");
}

/** Where the URL a command used came from, to name it when nothing answers there. */
function urlSource(flags: { url?: string }, env: NodeJS.ProcessEnv): string {
  if (flags.url) return "--url";
  if (env.EDGEHOOKS_URL) return "EDGEHOOKS_URL";
  if (readConfigFile(env).url) return `the login file ${configPath(env)}`;
  return "the default for a local `npm start` (set PORT, --url or EDGEHOOKS_URL for another)";
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const { flags, rest } = globals(argv);
  const [command, ...args] = rest;
  if (command && command !== "help" && flags.help) {
    const own = commandHelp(command);
    io.out(own ?? HELP);
    return own ? 0 : 2;
  }
  if (!command || flags.help || command === "help") {
    io.out(HELP);
    return command || flags.help ? 0 : 2;
  }
  let url: string | undefined;
  try {
    if (command === "login") await login(io, flags);
    else if (command === "listen") await listen(io, args, flags.json);
    else {
      const target = resolveTarget(flags, io.env);
      url = target.url;
      const ctx: Ctx = { eh: new Edgehooks({ baseUrl: target.url, apiKey: target.key }), io, json: flags.json };
      if (command === "tenants") await tenants(ctx, args);
      else if (command === "endpoints") return (await endpoints(ctx, args)) ? 0 : 1;
      else if (command === "send") await send(ctx, args);
      else if (command === "tail") await tail(ctx, args);
      else if (command === "replay") await replay(ctx, args);
      else if (command === "events") await events(ctx, args);
      else if (command === "deliveries") await deliveries(ctx, args);
      else if (command === "portal") await portal(ctx, args);
      else if (command === "demo") return (await demo(ctx, args)) ? 0 : 1;
      else throw new UsageError(`unknown command '${command}'; see edgehooks --help`);
    }
    return 0;
  } catch (err) {
    if (err instanceof EdgehooksError) {
      io.err(`${paint(io, "red", "error")} ${err.describe()}`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith?.("ERR_PARSE_ARGS")) {
      io.err(`${paint(io, "red", "usage")} ${(err as Error).message}`);
      return 2;
    }
    // fetch() failing outright: nothing answered at that URL.
    if (err instanceof TypeError && err.message === "fetch failed") {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      io.err(
        `${paint(io, "red", "error")} cannot reach the service at ${url ?? "its URL"} (${cause?.code ?? cause?.message ?? "no answer"}); that URL came from ${urlSource(flags, io.env)}. Is \`npm start\` running there?`,
      );
      return 1;
    }
    io.err(`${paint(io, "red", "error")} ${(err as Error).message}`);
    return 1;
  }
}
