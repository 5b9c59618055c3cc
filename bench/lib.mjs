// Shared by `npm run bench` and `npm run chaos`: start and stop the local service (the same way
// `npm start` does), the baseline Worker and the receiver, and talk to the API.
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUIET = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true" };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Whatever happens to the harness, its services go with it.
const launched = new Set();
process.on("exit", () => {
  for (const child of launched) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** A child process in its own group, so stop() takes wrangler, workerd and all with it. */
function launch(label, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...QUIET, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  launched.add(child);
  child.once("exit", () => launched.delete(child));
  let tail = "";
  // BENCH_SERVICE_LOG=<file> keeps every line the processes print (the tail below keeps 4,000
  // characters for a failure's message), to read what the service logged under load.
  const logFile = process.env.BENCH_SERVICE_LOG;
  const keep = (d) => {
    tail = (tail + d.toString()).slice(-4000);
    if (logFile) appendFileSync(logFile, `[${label}] ${d}`);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return {
    child,
    label,
    output: () => tail,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        try {
          process.kill(-child.pid, signal);
        } catch {
          resolve();
        }
      }),
  };
}

async function waitUntilUp(proc, url, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.label} exited:\n${proc.output()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`${proc.label} did not start within ${timeoutMs / 1000} s:\n${proc.output()}`);
}

/** A port the OS says is free on 127.0.0.1 now, so parallel runs on one machine never collide. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function freshStateDir(name) {
  return mkdtempSync(join(tmpdir(), `edgehooks-${name}-`));
}

/**
 * Edgehooks through scripts/start.mjs (migrations, .dev.vars, wrangler dev) on its own state
 * directory. Request logs are off (LOG_LEVEL=warn, wrangler --log-level warn) for the service
 * and the baseline alike, so the terminal is not what is measured.
 */
export async function startService({ port, stateDir, vars = {}, limits = "enforce" }) {
  const proc = launch(
    "edgehooks",
    "node",
    [
      "scripts/start.mjs",
      "--persist-to",
      stateDir,
      "--log-level",
      "warn",
      "--var",
      "LOG_LEVEL:warn",
      "--var",
      "ALLOW_HTTP_URLS:true",
      "--var",
      "ALLOW_PRIVATE_URLS:true",
      // The retry scenario spreads 10,000 pending retries over 1,250 endpoints of one tenant.
      "--var",
      "MAX_ENDPOINTS_PER_TENANT:2000",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      // BENCH_INSPECTOR_PORT opens the service's inspector, to take a CPU profile while a scenario runs.
      ...(process.env.BENCH_INSPECTOR_PORT ? ["--inspector-port", process.env.BENCH_INSPECTOR_PORT] : []),
    ],
    // PLATFORM_LIMITS (scripts/start.mjs): "off" runs as production does, without the limits layer's checks.
    { PORT: String(port), PLATFORM_LIMITS: limits },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(proc, `${base}/`);
  const rootKey = /ROOT_API_KEY=(\S+)/.exec(readFileSync(join(ROOT, ".dev.vars"), "utf8"))?.[1];
  if (!rootKey) throw new Error(".dev.vars has no ROOT_API_KEY");
  return { ...proc, base, rootKey };
}

export async function startBaseline({ port }) {
  const proc = launch("baseline", "npx", [
    "wrangler",
    "dev",
    "-c",
    "bench/baseline/wrangler.toml",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--log-level",
    "warn",
  ]);
  await waitUntilUp(proc, `http://127.0.0.1:${port}/`);
  return { ...proc, base: `http://127.0.0.1:${port}` };
}

/** The delivery ceiling (bench/ceiling): a queue and a consumer that posts each message straight on. */
export async function startCeiling({ port, stateDir }) {
  const proc = launch("ceiling", "npx", [
    "wrangler",
    "dev",
    "-c",
    "bench/ceiling/wrangler.toml",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    stateDir,
    "--log-level",
    "warn",
  ]);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(proc, `${base}/`);
  return {
    ...proc,
    base,
    send: (body) => fetch(`${base}/send`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json()),
  };
}

export async function startReceiver({ port }) {
  const proc = launch("receiver", "node", ["bench/receiver.mjs", String(port)]);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(proc, `${base}/_stats`);
  return {
    ...proc,
    base,
    reset: (options = {}) =>
      fetch(`${base}/_reset`, { method: "POST", body: JSON.stringify(options) }).then((r) => r.json()),
    stats: () => fetch(`${base}/_stats`).then((r) => r.json()),
  };
}

/** A small JSON client for the Edgehooks API. */
export function client(base, key) {
  return async function call(method, path, body) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // The status and the body first: a non-JSON answer (a runtime's plain-text error) is the
    // finding, and its stack is what says where it escaped.
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 1500)}`);
    return text ? JSON.parse(text) : null;
  };
}

/**
 * The service's own counters (GET /metrics, root key): rows written per store. Read through the
 * API, so the bench measures whichever store the traffic lives in (D1 today, TenantLog later).
 */
export async function rowCounters(service) {
  const res = await fetch(`${service.base}/metrics`, { headers: { authorization: `Bearer ${service.rootKey}` } });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /metrics → ${res.status} ${text.slice(0, 200)}`);
  const rows = { d1: 0, tenant_log: 0, dispatcher: 0 };
  for (const m of text.matchAll(/^edgehooks_rows_written_total\{store="(\w+)"\} (\d+)$/gm)) rows[m[1]] = Number(m[2]);
  // The parts of those totals kept apart (src/lib/row-usage.ts): `alarm_<store>` (one row per
  // setAlarm) and `retention_<store>` (purges, segment drops). A build without them reads 0.
  for (const part of ["alarm", "retention"])
    for (const store of ["d1", "tenant_log", "dispatcher"]) rows[`${part}_${store}`] = 0;
  for (const m of text.matchAll(/^edgehooks_(alarm|retention)_rows_written_total\{store="(\w+)"\} (\d+)$/gm))
    rows[`${m[1]}_${m[2]}`] = Number(m[3]);
  return rows;
}

/** The SQLite bytes of one tenant's log (every kept segment and shard), from GET /metrics?tenant=. */
export async function tenantLogBytes(service, tenantId) {
  const res = await fetch(`${service.base}/metrics?tenant=${encodeURIComponent(tenantId)}`, {
    headers: { authorization: `Bearer ${service.rootKey}` },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /metrics?tenant=${tenantId} → ${res.status} ${text.slice(0, 200)}`);
  const m = /^edgehooks_tenant_log_bytes\{tenant_id="([^"]+)"\} (\d+)$/m.exec(text);
  if (!m) throw new Error(`GET /metrics shows no edgehooks_tenant_log_bytes for ${tenantId}`);
  return Number(m[2]);
}

/**
 * The counters once writing has stopped: the outbox flushes a moment after the receiver saw the
 * attempt, so wait until two reads `quietMs` apart agree (bounded by `timeoutMs`).
 */
export async function settledRowCounters(service, { quietMs = 1500, timeoutMs = 30_000 } = {}) {
  const until = Date.now() + timeoutMs;
  let last = await rowCounters(service);
  for (;;) {
    await sleep(quietMs);
    const now = await rowCounters(service);
    const same = Object.keys(now).every((k) => now[k] === last[k]);
    if (same || Date.now() > until) return { ...now, settled: same };
    last = now;
  }
}

/** Every counter's rise: the store totals (d1, tenant_log, dispatcher) and their alarm and retention parts. */
export const rowsDelta = (after, before) =>
  Object.fromEntries(
    Object.keys(after)
      .filter((k) => k !== "settled")
      .map((k) => [k, after[k] - (before[k] ?? 0)]),
  );

/** Reads every page of a list route. */
export async function listAll(call, path) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await call("GET", `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function waitFor(check, { timeoutMs, everyMs = 100 }) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) return null;
    await sleep(everyMs);
  }
}
