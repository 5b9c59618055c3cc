// `npm run bench`: Edgehooks on the local simulator (wrangler dev, as `npm start` runs it) against
// a trivial baseline Worker in the same run, alternating the two so machine drift cancels out.
// Delivery runs beside a direct-posting ceiling (bench/ceiling) the same way. Every scenario also
// reports the rows it wrote per store, read from the service's own counters (GET /metrics), and
// the price of a million webhooks (bench/cost.mjs).
// Each scenario is a file of bench/scenarios (its helpers in bench/scenario-kit.mjs); this file
// starts the processes, runs the scenarios in one loop, checks the targets (bench/targets.mjs),
// prints a table and writes bench/results.json. BENCH_SECONDS (default 10) sets the ingest runs.
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import {
  client,
  freePort,
  freshStateDir,
  ROOT,
  startBaseline,
  startCeiling,
  startReceiver,
  startService,
} from "./lib.mjs";
import { load, setupTenant } from "./scenario-kit.mjs";
import * as batchIngest from "./scenarios/batch-ingest.mjs";
import * as costPerWebhook from "./scenarios/cost-per-webhook.mjs";
import * as deliveryThroughput from "./scenarios/delivery-throughput.mjs";
import * as endToEndLatency from "./scenarios/e2e-latency.mjs";
import * as hotTenant from "./scenarios/hot-tenant.mjs";
import * as retryPunctuality from "./scenarios/retry-punctuality.mjs";
import * as singleIngest from "./scenarios/single-ingest.mjs";
import { TARGETS_FROM, targets } from "./targets.mjs";

// Delivery scenarios first: the ingest runs leave tens of thousands of events for the fan-out
// consumer to work through, which would otherwise still be running under scenarios 3–5.
const SCENARIOS = [
  costPerWebhook,
  deliveryThroughput,
  endToEndLatency,
  retryPunctuality,
  hotTenant,
  singleIngest,
  batchIngest,
];
// BENCH_ONLY=3,5 runs only those scenarios (for working on one figure).
const ONLY = new Set((process.env.BENCH_ONLY || SCENARIOS.map((s) => s.id).join(",")).split(",").map(Number));
const results = { figures: {}, ratios: {}, targets: {} };

function machine() {
  const v = (cmd) => {
    try {
      return execSync(cmd, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .trim()
        .split("\n")
        .pop();
    } catch {
      return "unknown";
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrangler: v("npx wrangler --version"),
    commit: v("git rev-parse --short HEAD"),
    date: new Date().toISOString(),
  };
}

async function main() {
  // A number that names no scenario is a typo, not a request to run nothing.
  const unknown = [...ONLY].filter((n) => !SCENARIOS.some((s) => s.id === n));
  if (unknown.length) {
    const known = [...SCENARIOS].sort((a, b) => a.id - b.id).map((s) => `${s.id} ${s.title}`);
    throw new Error(
      `BENCH_ONLY=${process.env.BENCH_ONLY}: no scenario ${unknown.join(", ")} (scenarios: ${known.join(", ")})`,
    );
  }
  const info = machine();
  console.log(`edgehooks bench — ${info.cpu}, ${info.cores} cores, node ${info.node}, wrangler ${info.wrangler}`);
  // Free ports on 127.0.0.1 only; every process started here is stopped in `finally` (and, if
  // the harness dies, by lib.mjs's exit hook).
  const stops = [];
  try {
    const receiver = await startReceiver({ port: await freePort() });
    stops.push(receiver);
    const baseline = await startBaseline({ port: await freePort() });
    stops.push(baseline);
    const ceiling = ONLY.has(deliveryThroughput.id)
      ? await startCeiling({ port: await freePort(), stateDir: freshStateDir("ceiling") })
      : null;
    if (ceiling) stops.push(ceiling);
    // As production runs: the limits layer measures every RPC and row (src/lib/platform-limits.ts),
    // a cost production never pays. BENCH_PLATFORM_LIMITS=enforce runs the bench under it, to see
    // that no limit is crossed at the bench's sizes.
    const limits = process.env.BENCH_PLATFORM_LIMITS === "enforce" ? "enforce" : "off";
    console.log(`service started with PLATFORM_LIMITS=${limits}`);
    const service = await startService({ port: await freePort(), stateDir: freshStateDir("bench"), limits });
    stops.push(service);
    const call = client(service.base, service.rootKey);
    // Producers: 50 ingest keys (one per connection's worth of traffic), as many services would
    // post; the per-key ingest limit (1,000/s) then limits no single producer unfairly.
    await setupTenant(call, "bench-ingest", 0, receiver);
    const keys = [];
    for (let i = 0; i < 50; i++)
      keys.push(
        (await call("POST", "/v1/api-keys", { name: `bench ${i}`, scopes: ["ingest"], tenant_id: "bench-ingest" })).key,
      );
    // Warm both (first requests compile code and open the databases).
    await load({ url: `${baseline.base}/`, body: "{}", keys, connections: 5, seconds: 2 });
    await load({
      url: `${service.base}/v1/tenants/bench-ingest/events`,
      body: JSON.stringify({ type: "warm.up", data: {} }),
      keys,
      connections: 5,
      seconds: 2,
    });

    // Each scenario writes its figures and ratios into `results`.
    const ctx = { call, service, baseline, receiver, ceiling, keys, results };
    for (const scenario of SCENARIOS) if (ONLY.has(scenario.id)) await scenario.run(ctx);
  } finally {
    const service = stops.find((p) => p.label === "edgehooks");
    if (process.env.BENCH_DEBUG && service)
      console.log(
        service
          .output()
          .split("\n")
          .filter((l) => /rror/.test(l))
          .slice(-6)
          .join("\n"),
      );
    for (const p of stops.reverse()) await p.stop();
  }

  results.targets = targets(results);
  // BENCH_LABEL names the run in results.json, e.g. "before the TenantLog".
  const info2 = { label: process.env.BENCH_LABEL ?? null, machine: info, ...results };
  writeFileSync(join(ROOT, "bench", "results.json"), `${JSON.stringify(info2, null, 2)}\n`);
  printTable(info, results);
}

function printTable(info, r) {
  const f = r.figures;
  const n = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "–");
  const per = (fig) => {
    const rw = fig?.rows_written;
    const p = rw?.[`per_${rw?.per}`];
    return p
      ? `rows/${rw.per.replace(/s$/, "")}: d1 ${n(p.d1, 2)}, tenant_log ${n(p.tenant_log, 2)}, dispatcher ${n(p.dispatcher, 2)}`
      : "";
  };
  const rows = [];
  if (f.single_ingest) {
    const { service: sv, baseline: bl } = f.single_ingest;
    rows.push([
      "single ingest (50 conn)",
      `${n(sv.ok_s)} events/s, p50 ${n(sv.p50_ms)} ms, p99 ${n(sv.p99_ms)} ms`,
      `${n(bl.req_s)} req/s, p50 ${n(bl.p50_ms)} ms, p99 ${n(bl.p99_ms)} ms (baseline)`,
      `${n(r.ratios.single_ingest_throughput, 2)}× req/s, ${n(r.ratios.single_ingest_p99, 2)}× p99; ${per(f.single_ingest)}`,
    ]);
  }
  if (f.batch_ingest)
    rows.push([
      "batch ingest (100/req)",
      `${n(f.batch_ingest.events_s)} events/s`,
      `${n(f.batch_ingest.baseline_events_s)} events/s (baseline)`,
      per(f.batch_ingest),
    ]);
  const ceiling = f.delivery_ceiling
    ? `${n(f.delivery_ceiling.deliveries_s)} deliveries/s (ceiling; ${f.delivery_ceiling.runs.map((x) => n(x.deliveries_s)).join(", ")})`
    : "";
  if (f.delivery)
    rows.push([
      "delivery, 1 tenant × 10 endpoints",
      `${n(f.delivery.deliveries_s)} deliveries/s, ${f.delivery.lost} lost, ${f.delivery.duplicates} dup`,
      ceiling,
      `${n(r.ratios.delivery_vs_ceiling, 2)}× ceiling; ${per(f.delivery)}`,
    ]);
  if (f.delivery_10_tenants)
    rows.push([
      "delivery, 10 tenants × 10 endpoints",
      `${n(f.delivery_10_tenants.deliveries_s)} deliveries/s, ${f.delivery_10_tenants.lost} lost, ${f.delivery_10_tenants.duplicates} dup`,
      ceiling,
      `${n(r.ratios.delivery_10_tenants_vs_1, 2)}× 1 tenant; ${per(f.delivery_10_tenants)}`,
    ]);
  if (f.e2e_latency)
    rows.push([
      "e2e latency @100/s",
      `p50 ${n(f.e2e_latency.p50_ms)} ms, p95 ${n(f.e2e_latency.p95_ms)} ms, p99 ${n(f.e2e_latency.p99_ms)} ms`,
      "",
      `${f.e2e_latency.arrived}/${f.e2e_latency.events} arrived; ${per(f.e2e_latency)}`,
    ]);
  if (f.retry_punctuality) {
    const rp = f.retry_punctuality;
    rows.push([
      `retry punctuality, ${rp.deliveries} over ${rp.endpoints} endpoints`,
      `p50 ${n(rp.p50_ms)} ms, p99 ${n(rp.p99_ms)} ms late`,
      "",
      `${rp.pending_at_once} pending at once, ${rp.observed_due_times} due times seen, ${rp.retried_ok} ok, ${rp.undelivered_at_end} undelivered at the end, ${rp.service_errors} service errors, run ${n(rp.run_s)} s; ${per(rp)}`,
    ]);
  }
  if (f.hot_tenant) {
    const h = f.hot_tenant;
    rows.push([
      `hot tenant, ${h.connections} conn, ${h.endpoints} endpoint(s)`,
      `k = 4: ${n(h.k4.accepted_s)} events/s accepted, ${n(h.k4.delivered_s)} delivered; ${h.k4.lost} lost, ${h.k4.duplicates} dup`,
      `k = 1: ${n(h.k1.accepted_s)} accepted, ${n(h.k1.delivered_s)} delivered; ${h.k1.lost} lost, ${h.k1.duplicates} dup`,
      `${n(r.ratios.hot_tenant_k4_vs_k1_accepted, 2)}× accepted, ${n(r.ratios.hot_tenant_k4_vs_k1_delivered, 2)}× delivered (k = 4 / k = 1)`,
    ]);
  }
  if (f.cost) {
    const pr = f.cost.price;
    rows.push([
      "cost, fan-out 1, first try",
      `$${n(pr.low.total_usd_per_million_webhooks, 2)}–$${n(pr.high.total_usd_per_million_webhooks, 2)} per million webhooks all-in`,
      "",
      `${per(f.cost)}; ${Object.keys(pr.high.per_webhook)
        .map((k) => `${k} $${n(pr.high.usd_per_million_webhooks[k], 2)}`)
        .join(", ")} (high)`,
    ]);
  }
  if (f.cost?.all_in) {
    const a = f.cost.all_in;
    rows.push([
      "rows per webhook all-in, fan-out 1",
      `${n(a.total, 2)} rows`,
      "",
      `tenant_log ${n(a.tenant_log, 2)}, dispatcher ${n(a.dispatcher, 2)}, alarms ${n(a.alarms, 2)}, retention ${a.retention === null ? "not measured" : n(a.retention, 3)}, d1 ${n(a.d1, 2)}`,
    ]);
  }
  if (f.bytes)
    rows.push([
      "bytes (TenantLog, 1 KB payload)",
      `${n(f.bytes.per_event)} per event; ${n(f.bytes.per_event_fanout_1)} / ${n(f.bytes.per_event_fanout_3)} per event at fan-out 1 / 3`,
      "",
      `per delivery with its first attempt: ${n(f.bytes.per_delivery_fanout_1)} (fan-out 1), ${n(f.bytes.per_delivery_fanout_3)} (fan-out 3)`,
    ]);
  if (f.capacity)
    for (const [k, c] of Object.entries(f.capacity))
      rows.push([
        `capacity per tenant, ${c.retention_days} days, ${k.replace("_", " ")}`,
        Object.values(c.segmented)
          .map((x) => `k = ${x.shards}: ${n(x.events_s)} events/s`)
          .join(", "),
        `one object: ${n(c.one_object_events_s, 2)} events/s`,
        `computed from ${n(c.bytes_per_event)} B/event; a shard closes at ${c.events_per_shard} events (${c.shard_closes_on}); ${Object.values(
          c.segmented,
        )
          .map((x) => `k = ${x.shards} bound: ${x.bound}`)
          .join(", ")}`,
      ]);
  console.log(`\n| measure | edgehooks | baseline / ceiling (same run) | notes |\n|---|---|---|---|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log(`\ntargets (${TARGETS_FROM}):`);
  for (const [k, t] of Object.entries(r.targets))
    console.log(`  ${t.met ? "met    " : "NOT met"} ${k} ${t.target} (${n(t.value, 2)})`);
  if (f.cost)
    console.log(
      `\nprices: ${Object.values(f.cost.price.prices)
        .map((p) => p.source)
        .join("; ")}`,
    );
  console.log(
    `\n${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB, node ${info.node}, wrangler ${info.wrangler}, commit ${info.commit}; written to bench/results.json`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
