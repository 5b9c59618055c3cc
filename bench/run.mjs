// `npm run bench`: Edgehooks on the local simulator (wrangler dev, as `npm start` runs it) against
// a trivial baseline Worker in the same run, alternating the two so machine drift cancels out.
// Prints a table and writes bench/results.json. BENCH_SECONDS (default 10) sets the ingest runs.
import autocannon from "autocannon";
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ROOT, client, freshStateDir, listAll, percentile, sleep, startBaseline, startReceiver, startService, waitFor } from "./lib.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = 2;
const RETRY_ENDPOINTS = Number(process.env.BENCH_RETRY_ENDPOINTS || 125);
// BENCH_ONLY=3,5 runs only those scenarios (for working on one figure).
const ONLY = new Set((process.env.BENCH_ONLY || "1,2,3,4,5").split(",").map(Number));
const PORTS = { service: 8790, baseline: 8791, receiver: 4100 };
const results = { figures: {}, ratios: {}, targets: {} };

function machine() {
  const v = (cmd) => {
    try {
      return execSync(cmd, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split("\n").pop();
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

/** autocannon with a key per request from `keys`, round-robin (the ingest limit is per key). */
function load({ url, body, keys, connections, seconds }) {
  let i = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        body,
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, "content-type": "application/json", authorization: `Bearer ${keys[i++ % keys.length]}` },
        }),
      },
    ],
  });
}

const summary = (r) => ({ req_s: r.requests.average, ok: r["2xx"], non2xx: r.non2xx, statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])), errors: r.errors, timeouts: r.timeouts, p50_ms: r.latency.p50, p99_ms: r.latency.p99, seconds: r.duration });

async function alternate(name, runBaseline, runService) {
  const runs = { baseline: [], service: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.baseline.push(summary(await runBaseline()));
    runs.service.push(summary(await runService()));
    console.log(`  ${name} round ${round + 1}: baseline ${runs.baseline.at(-1).req_s.toFixed(0)} req/s, edgehooks ${runs.service.at(-1).req_s.toFixed(0)} req/s (answers ${JSON.stringify(runs.service.at(-1).statuses)})`);
  }
  const mean = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  const okPerS = (xs) => xs.reduce((s, x) => s + x.ok, 0) / xs.reduce((s, x) => s + x.seconds, 0);
  return {
    baseline: { req_s: mean(runs.baseline, "req_s"), ok_s: okPerS(runs.baseline), p50_ms: mean(runs.baseline, "p50_ms"), p99_ms: mean(runs.baseline, "p99_ms") },
    service: { req_s: mean(runs.service, "req_s"), ok_s: okPerS(runs.service), p50_ms: mean(runs.service, "p50_ms"), p99_ms: mean(runs.service, "p99_ms"), non2xx: runs.service.reduce((s, x) => s + x.non2xx + x.errors, 0) },
    runs,
  };
}

async function setupTenant(call, id, endpointCount, receiver, extra = {}) {
  await call("POST", "/v1/tenants", { id, name: id });
  const eps = [];
  for (let i = 0; i < endpointCount; i++) eps.push(await call("POST", `/v1/tenants/${id}/endpoints`, { url: `${receiver.base}/${id}/${i}`, ...extra }));
  return eps;
}

/** Posts events in batches of 100; answers the accepted ids and the time of the first post. */
async function postBatches(call, tenant, count, type = "bench.event") {
  const ids = [];
  const started = performance.timeOrigin + performance.now();
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ type, data: { n: i + j } }));
    const res = await call("POST", `/v1/tenants/${tenant}/events/batch`, { events });
    for (const r of res.data) {
      if (!r.id) throw new Error(`batch item refused: ${JSON.stringify(r)}`);
      ids.push(r.id);
    }
  }
  return { ids, started };
}

/** Arrivals at the receiver for one tenant: key `/<tenant>/<i>|<event id>` → [[ms, status], ...]. */
function arrivalsFor(stats, tenant) {
  return Object.entries(stats.arrivals).filter(([k]) => k.startsWith(`/${tenant}/`));
}

async function singleIngest({ call, service, baseline, receiver, keys }) {
  // 1. Single-event ingest, 50 connections.
  console.log(`1. single-event ingest: 50 connections, ${SECONDS} s per run, ${ROUNDS} rounds`);
  const single = JSON.stringify({ type: "order.created", data: { order_id: "ord_123", total_amount: 4200, currency: "EUR" } });
  const s1 = await alternate(
    "single",
    () => load({ url: `${baseline.base}/v1/tenants/bench-ingest/events`, body: single, keys, connections: 50, seconds: SECONDS }),
    () => load({ url: `${service.base}/v1/tenants/bench-ingest/events`, body: single, keys, connections: 50, seconds: SECONDS }),
  );
  results.figures.single_ingest = s1;
  results.ratios.single_ingest_throughput = s1.service.ok_s / s1.baseline.req_s;
  results.ratios.single_ingest_p99 = s1.service.p99_ms / s1.baseline.p99_ms;
}

async function batchIngest({ call, service, baseline, receiver, keys }) {
  // 2. Batch ingest, 100 events per request.
  console.log(`2. batch ingest: 100 events per request, 10 connections, ${SECONDS / 2} s per run`);
  const batch = JSON.stringify({ events: Array.from({ length: 100 }, (_, n) => ({ type: "order.created", data: { order_id: `ord_${n}`, total_amount: n } })) });
  const s2 = await alternate(
    "batch",
    () => load({ url: `${baseline.base}/v1/tenants/bench-ingest/events/batch`, body: batch, keys, connections: 10, seconds: SECONDS / 2 }),
    () => load({ url: `${service.base}/v1/tenants/bench-ingest/events/batch`, body: batch, keys, connections: 10, seconds: SECONDS / 2 }),
  );
  results.figures.batch_ingest = { events_s: s2.service.ok_s * 100, baseline_events_s: s2.baseline.req_s * 100, ...s2 };
}

async function deliveryThroughput({ call, service, baseline, receiver, keys }) {
  // 3. Delivery throughput: N events to 10 endpoints.
  const N = Number(process.env.BENCH_FANOUT_EVENTS || 500);
  console.log(`3. delivery throughput: ${N} events × 10 endpoints`);
  await receiver.reset();
  await setupTenant(call, "bench-fanout", 10, receiver);
  await sleep(500);
  const posted = await postBatches(call, "bench-fanout", N);
  const expected = N * 10;
  const done = await waitFor(async () => ((await receiver.stats()).count >= expected ? true : null), { timeoutMs: 120_000, everyMs: 200 });
  await sleep(1000); // let any duplicate show up
  const arr3 = arrivalsFor(await receiver.stats(), "bench-fanout");
  const last = Math.max(...arr3.map(([, a]) => a[0][0]));
  const delivered = arr3.filter(([, a]) => a.some(([, s]) => s >= 200 && s < 300)).length;
  results.figures.delivery = {
    events: N,
    endpoints: 10,
    deliveries_expected: expected,
    delivered,
    lost: expected - delivered,
    duplicates: arr3.reduce((s, [, a]) => s + a.length - 1, 0),
    seconds: (last - posted.started) / 1000,
    deliveries_s: delivered / ((last - posted.started) / 1000),
    complete: Boolean(done),
  };
}

async function endToEndLatency({ call, service, baseline, receiver, keys }) {
  // 4. End-to-end latency at 100 events/s for 20 s (open model: posts go out on the clock,
  //    whether or not earlier ones have been answered).
  const RATE = 100;
  const E2E_S = Number(process.env.BENCH_E2E_SECONDS || 20);
  console.log(`4. end-to-end latency: ${RATE} events/s for ${E2E_S} s, 1 endpoint`);
  await receiver.reset();
  await setupTenant(call, "bench-latency", 1, receiver);
  await sleep(500);
  const sentAt = new Map();
  const pending = [];
  const t0 = performance.now();
  for (let i = 0; i < RATE * E2E_S; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const at = performance.timeOrigin + performance.now();
    pending.push(
      fetch(`${service.base}/v1/tenants/bench-latency/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${service.rootKey}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "latency.probe", data: { i } }),
      })
        .then((r) => r.json())
        .then((b) => sentAt.set(b.id, at)),
    );
  }
  await Promise.all(pending);
  await waitFor(async () => ((await receiver.stats()).count >= RATE * E2E_S ? true : null), { timeoutMs: 60_000, everyMs: 200 });
  const arr4 = arrivalsFor(await receiver.stats(), "bench-latency");
  const lat = arr4.map(([k, a]) => a[0][0] - sentAt.get(k.split("|")[1])).filter(Number.isFinite).sort((a, b) => a - b);
  results.figures.e2e_latency = { rate_s: RATE, seconds: E2E_S, events: RATE * E2E_S, arrived: lat.length, p50_ms: percentile(lat, 50), p95_ms: percentile(lat, 95), p99_ms: percentile(lat, 99), max_ms: lat.at(-1) };
}

async function retryPunctuality({ call, service, baseline, receiver, keys }) {
  // 5. Retry punctuality: 1,000 deliveries each failing once, then retried on a 2 s step. Spread
  //    over 125 endpoints × 8 events, because 10 failures in a row on one endpoint would open its
  //    circuit breaker (by design) and hold the rest back, which is not what this measures.
  console.log("5. retry punctuality: 8 events × 125 endpoints, first attempt 500, ladder { schedule_s: [2] }");
  await receiver.reset({ failFirst: true });
  const retryEps = await setupTenant(call, "bench-retry", RETRY_ENDPOINTS, receiver, { retry_policy: { schedule_s: [2] } });
  const pathOf = new Map(retryEps.map((ep, i) => [ep.id, `/bench-retry/${i}`]));
  await sleep(500);
  await postBatches(call, "bench-retry", 8);
  // The due time of each retry is the delivery's next_attempt_at while it waits; read it by
  // polling the log (a retry waits 1.6–2.4 s, far longer than a poll).
  const due = new Map();
  const pollUntil = Date.now() + 30_000;
  while (Date.now() < pollUntil) {
    // Once every due time is known, stop reading the log: the polling is load of its own.
    for (const d of due.size >= RETRY_ENDPOINTS * 8 ? [] : await listAll(call, "/v1/tenants/bench-retry/deliveries?status=pending_retry")) {
      if (d.next_attempt_at && !due.has(d.id)) due.set(d.id, { key: `${pathOf.get(d.endpoint_id)}|${d.event_id}`, at: Date.parse(d.next_attempt_at) });
    }
    const stats = await receiver.stats();
    const retried = arrivalsFor(stats, "bench-retry").filter(([, a]) => a.length >= 2).length;
    if (retried >= 1000) break;
    await sleep(100);
  }
  const arr5 = new Map(arrivalsFor(await receiver.stats(), "bench-retry"));
  const offsets = [];
  for (const { key, at } of due.values()) {
    const second = arr5.get(key)?.[1];
    if (second) offsets.push(Math.abs(second[0] - at));
  }
  offsets.sort((a, b) => a - b);
  if (process.env.BENCH_DEBUG) {
    const firsts = [...arr5.values()].map((a) => a[0][0]).sort((a, b) => a - b);
    const seconds = [...arr5.values()].flatMap((a) => (a[1] ? [a[1][0]] : [])).sort((a, b) => a - b);
    const dues = [...due.values()].map((d) => d.at).sort((a, b) => a - b);
    const t0 = firsts[0];
    const signed = [...due.values()].flatMap(({ key, at }) => (arr5.get(key)?.[1] ? [arr5.get(key)[1][0] - at] : [])).sort((a, b) => a - b);
    console.log("  debug: first attempts", firsts.at(-1) - t0, "ms span; dues", dues[0] - t0, "…", dues.at(-1) - t0, "; retries", seconds[0] - t0, "…", seconds.at(-1) - t0, "; signed p1/p50/p99", percentile(signed, 1), percentile(signed, 50), percentile(signed, 99));
  }
  const retriedOk = [...arr5.values()].filter((a) => a.some(([, s]) => s >= 200 && s < 300)).length;
  results.figures.retry_punctuality = { deliveries: RETRY_ENDPOINTS * 8, retried_ok: retriedOk, observed_due_times: offsets.length, p50_ms: percentile(offsets, 50), p99_ms: percentile(offsets, 99), max_ms: offsets.at(-1) };
}

// Delivery scenarios first: the ingest runs leave tens of thousands of events for the fan-out
// consumer to work through, which would otherwise still be running under scenarios 3–5.
const SCENARIOS = [
  [3, deliveryThroughput],
  [4, endToEndLatency],
  [5, retryPunctuality],
  [1, singleIngest],
  [2, batchIngest],
];

async function main() {
  const info = machine();
  console.log(`edgehooks bench — ${info.cpu}, ${info.cores} cores, node ${info.node}, wrangler ${info.wrangler}`);
  const receiver = await startReceiver({ port: PORTS.receiver });
  const baseline = await startBaseline({ port: PORTS.baseline });
  const service = await startService({ port: PORTS.service, stateDir: freshStateDir("bench") });
  const stops = [receiver, baseline, service];
  try {
    const call = client(service.base, service.rootKey);
    // Producers: 50 ingest keys (one per connection's worth of traffic), as many services would
    // post; the per-key ingest limit (1,000/s) then limits no single producer unfairly.
    await setupTenant(call, "bench-ingest", 0, receiver);
    const keys = [];
    for (let i = 0; i < 50; i++) keys.push((await call("POST", "/v1/api-keys", { name: `bench ${i}`, scopes: ["ingest"], tenant_id: "bench-ingest" })).key);
    // Warm both (first requests compile code and open the databases).
    await load({ url: `${baseline.base}/`, body: "{}", keys, connections: 5, seconds: 2 });
    await load({ url: `${service.base}/v1/tenants/bench-ingest/events`, body: JSON.stringify({ type: "warm.up", data: {} }), keys, connections: 5, seconds: 2 });

    const ctx = { call, service, baseline, receiver, keys };
    for (const [n, scenario] of SCENARIOS) if (ONLY.has(n)) await scenario(ctx);
  } finally {
    if (process.env.BENCH_DEBUG) console.log(service.output().split("\n").filter((l) => /rror/.test(l)).slice(-6).join("\n"));
    for (const p of stops.reverse()) await p.stop();
  }

  results.targets = targets(results);
  const info2 = { machine: info, ...results };
  writeFileSync(join(ROOT, "bench", "results.json"), `${JSON.stringify(info2, null, 2)}\n`);
  printTable(info, results);
}

/** Each target against its figure; a scenario left out by BENCH_ONLY has no entry. */
function targets(r) {
  const f = r.figures;
  const out = {};
  const add = (name, target, value, met) => {
    if (value !== undefined) out[name] = { target, value, met };
  };
  add("single_ingest_throughput_ratio", ">= 0.8", r.ratios.single_ingest_throughput, r.ratios.single_ingest_throughput >= 0.8);
  add("single_ingest_p99_ratio", "<= 1.5", r.ratios.single_ingest_p99, r.ratios.single_ingest_p99 <= 1.5);
  add("batch_events_s", ">= 20000", f.batch_ingest?.events_s, f.batch_ingest?.events_s >= 20000);
  add("deliveries_s", ">= 1500, 0 lost", f.delivery?.deliveries_s, f.delivery?.deliveries_s >= 1500 && f.delivery?.lost === 0);
  add("e2e_p50_ms", "<= 50", f.e2e_latency?.p50_ms, f.e2e_latency?.p50_ms <= 50);
  add("e2e_p99_ms", "<= 250", f.e2e_latency?.p99_ms, f.e2e_latency?.p99_ms <= 250);
  add("retry_p99_ms", "<= 1000", f.retry_punctuality?.p99_ms, f.retry_punctuality?.p99_ms <= 1000);
  return out;
}

function printTable(info, r) {
  const f = r.figures;
  const n = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "–");
  const rows = [];
  if (f.single_ingest) {
    const { service: sv, baseline: bl } = f.single_ingest;
    rows.push(["single ingest (50 conn)", `${n(sv.ok_s)} events/s, p50 ${n(sv.p50_ms)} ms, p99 ${n(sv.p99_ms)} ms`, `${n(bl.req_s)} req/s, p50 ${n(bl.p50_ms)} ms, p99 ${n(bl.p99_ms)} ms`, `${n(r.ratios.single_ingest_throughput, 2)}× req/s, ${n(r.ratios.single_ingest_p99, 2)}× p99`]);
  }
  if (f.batch_ingest) rows.push(["batch ingest (100/req)", `${n(f.batch_ingest.events_s)} events/s`, `${n(f.batch_ingest.baseline_events_s)} events/s`, ""]);
  if (f.delivery) rows.push(["delivery, 10 endpoints", `${n(f.delivery.deliveries_s)} deliveries/s, ${f.delivery.lost} lost, ${f.delivery.duplicates} dup`, "", `${f.delivery.events} events`]);
  if (f.e2e_latency) rows.push(["e2e latency @100/s", `p50 ${n(f.e2e_latency.p50_ms)} ms, p95 ${n(f.e2e_latency.p95_ms)} ms, p99 ${n(f.e2e_latency.p99_ms)} ms`, "", `${f.e2e_latency.arrived}/${f.e2e_latency.events} arrived`]);
  if (f.retry_punctuality) rows.push(["retry punctuality", `p50 ${n(f.retry_punctuality.p50_ms)} ms, p99 ${n(f.retry_punctuality.p99_ms)} ms`, "", `${f.retry_punctuality.observed_due_times} due times seen, ${f.retry_punctuality.retried_ok} ok`]);
  console.log(`\n| measure | edgehooks | baseline worker | notes |\n|---|---|---|---|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  console.log("\ntargets:");
  for (const [k, t] of Object.entries(r.targets)) console.log(`  ${t.met ? "met    " : "NOT met"} ${k} ${t.target} (${n(t.value, 2)})`);
  console.log(`\n${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB, node ${info.node}, wrangler ${info.wrangler}, commit ${info.commit}; written to bench/results.json`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
