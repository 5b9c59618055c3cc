// What the bench scenarios (bench/scenarios/*.mjs) share: load runs alternated with the baseline,
// tenants with endpoints, rows written around a run, and reading the receiver's arrivals.
// Starting and stopping processes and the API client live in bench/lib.mjs.
import autocannon from "autocannon";
import { rowsDelta, settledRowCounters } from "./lib.mjs";

/** BENCH_SECONDS (default 10): how long each ingest run lasts. */
export const SECONDS = Number(process.env.BENCH_SECONDS || 10);
/** Baseline and service runs alternate this many times, so machine drift cancels out. */
export const ROUNDS = 2;

/** autocannon with a key per request from `keys`, round-robin (the ingest limit is per key). */
export function load({ url, body, keys, connections, seconds }) {
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
          headers: {
            ...req.headers,
            "content-type": "application/json",
            authorization: `Bearer ${keys[i++ % keys.length]}`,
          },
        }),
      },
    ],
  });
}

const summary = (r) => ({
  req_s: r.requests.average,
  ok: r["2xx"],
  non2xx: r.non2xx,
  statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
  errors: r.errors,
  timeouts: r.timeouts,
  p50_ms: r.latency.p50,
  p99_ms: r.latency.p99,
  seconds: r.duration,
});

/** Runs the baseline and the service in turn, ROUNDS times each; answers their means and every run. */
export async function alternate(name, runBaseline, runService) {
  const runs = { baseline: [], service: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.baseline.push(summary(await runBaseline()));
    runs.service.push(summary(await runService()));
    console.log(
      `  ${name} round ${round + 1}: baseline ${runs.baseline.at(-1).req_s.toFixed(0)} req/s, edgehooks ${runs.service.at(-1).req_s.toFixed(0)} req/s (answers ${JSON.stringify(runs.service.at(-1).statuses)})`,
    );
  }
  const mean = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
  const okPerS = (xs) => xs.reduce((s, x) => s + x.ok, 0) / xs.reduce((s, x) => s + x.seconds, 0);
  return {
    baseline: {
      req_s: mean(runs.baseline, "req_s"),
      ok_s: okPerS(runs.baseline),
      p50_ms: mean(runs.baseline, "p50_ms"),
      p99_ms: mean(runs.baseline, "p99_ms"),
    },
    service: {
      req_s: mean(runs.service, "req_s"),
      ok_s: okPerS(runs.service),
      p50_ms: mean(runs.service, "p50_ms"),
      p99_ms: mean(runs.service, "p99_ms"),
      non2xx: runs.service.reduce((s, x) => s + x.non2xx + x.errors, 0),
    },
    runs,
  };
}

/**
 * A tenant and its endpoints (created a few at a time: a thousand one by one takes a minute).
 * `extra` goes on each endpoint, `tenantExtra` on the tenant (e.g. `log_shards`, root key only).
 */
export async function setupTenant(call, id, endpointCount, receiver, extra = {}, tenantExtra = {}) {
  await call("POST", "/v1/tenants", { id, name: id, ...tenantExtra });
  const eps = new Array(endpointCount);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < endpointCount; i = next++)
      eps[i] = await call("POST", `/v1/tenants/${id}/endpoints`, { url: `${receiver.base}/${id}/${i}`, ...extra });
  };
  await Promise.all(Array.from({ length: Math.min(8, endpointCount) }, worker));
  return eps;
}

/**
 * Runs `fn` between two readings of the service's row counters and adds, to the figure it
 * answers, the rows written per store and per delivered webhook (or per event, for ingest).
 */
export async function withRows(service, name, per, fn) {
  const before = await settledRowCounters(service, { quietMs: 500, timeoutMs: 10_000 });
  const figure = await fn();
  const after = await settledRowCounters(service);
  const rows = rowsDelta(after, before);
  const n = figure[per];
  const perUnit = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, n ? v / n : NaN]));
  figure.rows_written = {
    ...rows,
    total: rows.d1 + rows.tenant_log + rows.dispatcher,
    per,
    [`per_${per}`]: { ...perUnit, total: perUnit.d1 + perUnit.tenant_log + perUnit.dispatcher },
    settled: after.settled,
  };
  const p = figure.rows_written[`per_${per}`];
  console.log(
    `  ${name}: rows written per ${per.replace(/s$/, "")}: d1 ${p.d1.toFixed(2)}, tenant_log ${p.tenant_log.toFixed(2)}, dispatcher ${p.dispatcher.toFixed(2)} (total ${p.total.toFixed(2)}; of it alarms ${((p.alarm_tenant_log ?? 0) + (p.alarm_dispatcher ?? 0)).toFixed(2)}${after.settled ? "" : ", counters still moving"})`,
  );
  return figure;
}

/** Deliveries and duplicates at the receiver for some tenants' paths, and when the last arrived. */
export function countArrivals(stats, prefixes) {
  const arr = Object.entries(stats.arrivals).filter(([k]) => prefixes.some((p) => k.startsWith(`/${p}/`)));
  const delivered = arr.filter(([, a]) => a.some(([, s]) => s >= 200 && s < 300)).length;
  const duplicates = arr.reduce(
    (s, [, a]) =>
      s +
      a.filter(([, st]) => st >= 200 && st < 300).length -
      Math.min(1, a.filter(([, st]) => st >= 200 && st < 300).length),
    0,
  );
  return { delivered, duplicates, last: Math.max(...arr.map(([, a]) => a[0][0])) };
}

/** Posts events in batches of 100; answers the accepted ids and the time of the first post. */
export async function postBatches(call, tenant, count, type = "bench.event") {
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
export function arrivalsFor(stats, tenant) {
  return Object.entries(stats.arrivals).filter(([k]) => k.startsWith(`/${tenant}/`));
}
