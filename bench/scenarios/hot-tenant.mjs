// Scenario 7: one hot tenant whose log is split over k = 4 hash shards (the tenant's `log_shards`,
// an operator setting) beside the same load on a tenant with k = 1: single-event ingest at full
// speed for a while, then every event delivered to the tenant's endpoints. Events/s accepted (202s
// over the load's seconds) and delivered (events whose every delivery arrived, over the time from
// the first post to the last arrival), a fresh tenant of each k in turn, ROUNDS times, in the same run.
// BENCH_HOT_SECONDS (default BENCH_SECONDS / 2), BENCH_HOT_CONNECTIONS (default 20),
// BENCH_HOT_ENDPOINTS (default 1) set the load.
import { listAll, sleep, waitFor } from "../lib.mjs";
import { countArrivals, load, ROUNDS, SECONDS, setupTenant } from "../scenario-kit.mjs";

export const id = 7;
export const title = "hot tenant, k = 4 shards beside k = 1";

const HOT_SECONDS = Number(process.env.BENCH_HOT_SECONDS || SECONDS / 2);
const CONNECTIONS = Number(process.env.BENCH_HOT_CONNECTIONS || 20);
const ENDPOINTS = Number(process.env.BENCH_HOT_ENDPOINTS || 1);
const SHARDS = [1, 4];
/** Ingest keys per tenant: the ingest limit is per key (1,000/s), so no key limits the load. */
const KEYS_PER_TENANT = 10;

export async function run({ call, service, receiver, results }) {
  console.log(
    `7. hot tenant: single-event ingest, ${CONNECTIONS} connections, ${HOT_SECONDS} s per run, ${ENDPOINTS} endpoint(s); log_shards ${SHARDS.join(" beside ")}, ${ROUNDS} rounds`,
  );
  /** A tenant of `k` shards with its endpoints and ingest keys: a new one per run, so its log holds that run's events only. */
  const tenantFor = async (k, round) => {
    const tenant = `bench-hot-k${k}-r${round}`;
    await setupTenant(call, tenant, ENDPOINTS, receiver, {}, { log_shards: k });
    const keys = [];
    for (let i = 0; i < KEYS_PER_TENANT; i++)
      keys.push(
        (await call("POST", "/v1/api-keys", { name: `hot ${k} ${i}`, scopes: ["ingest"], tenant_id: tenant })).key,
      );
    return { tenant, keys };
  };
  const runs = Object.fromEntries(SHARDS.map((k) => [`k${k}`, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of SHARDS) {
      const { tenant, keys } = await tenantFor(k, round);
      await receiver.reset();
      const started = performance.timeOrigin + performance.now();
      const r = await load({
        url: `${service.base}/v1/tenants/${tenant}/events`,
        body: JSON.stringify({ type: "hot.probe", data: { round } }),
        keys,
        connections: CONNECTIONS,
        seconds: HOT_SECONDS,
      });
      // The requests in flight when the load stops are answered too, after autocannon stopped
      // counting: what the log holds is what was accepted, read back through the API.
      const events = await listAll(call, `/v1/tenants/${tenant}/events`);
      const stored = events.length;
      // An id names its shard (`….<segment>~<shard>`, none: shard 0): the load did spread over k.
      const shardsUsed = new Set(events.map((e) => /~(\d+)$/.exec(e.id)?.[1] ?? "0")).size;
      const expected = stored * ENDPOINTS;
      const done = await waitFor(
        async () => (countArrivals(await receiver.stats(), [tenant]).delivered >= expected ? true : null),
        { timeoutMs: 180_000, everyMs: 250 },
      );
      await sleep(500);
      const c = countArrivals(await receiver.stats(), [tenant]);
      const seconds = (c.last - started) / 1000;
      const figure = {
        shards: k,
        shards_used: shardsUsed,
        answered_202: r["2xx"],
        stored,
        refused: r.non2xx + r.errors,
        accepted_s: r["2xx"] / r.duration,
        delivered: c.delivered / ENDPOINTS,
        delivered_s: c.delivered / ENDPOINTS / seconds,
        duplicates: c.duplicates,
        lost: expected - c.delivered,
        complete: Boolean(done),
        p99_ms: r.latency.p99,
      };
      runs[`k${k}`].push(figure);
      console.log(
        `  round ${round + 1}, k = ${k}: ${figure.accepted_s.toFixed(0)} events/s accepted (${figure.stored} stored over ${figure.shards_used} shard(s), ${figure.refused} refused, p99 ${figure.p99_ms} ms), ${figure.delivered_s.toFixed(0)} events/s delivered, ${figure.lost} lost, ${figure.duplicates} dup`,
      );
    }
  }
  const mean = (xs, key) => xs.reduce((s, x) => s + x[key], 0) / xs.length;
  const figure = Object.fromEntries(
    Object.entries(runs).map(([k, xs]) => [
      k,
      {
        accepted_s: mean(xs, "accepted_s"),
        delivered_s: mean(xs, "delivered_s"),
        lost: xs.reduce((s, x) => s + x.lost, 0),
        duplicates: xs.reduce((s, x) => s + x.duplicates, 0),
        runs: xs,
      },
    ]),
  );
  results.figures.hot_tenant = { connections: CONNECTIONS, seconds: HOT_SECONDS, endpoints: ENDPOINTS, ...figure };
  results.ratios.hot_tenant_k4_vs_k1_accepted = figure.k4.accepted_s / figure.k1.accepted_s;
  results.ratios.hot_tenant_k4_vs_k1_delivered = figure.k4.delivered_s / figure.k1.delivered_s;
}
