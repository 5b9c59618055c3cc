// Scenario 4: end-to-end latency, post to arrival at the receiver, at 100 events/s to 1 endpoint
// (open model: posts go out on the clock, whether or not earlier ones have been answered).
// BENCH_E2E_SECONDS (default 20) sets how long.
import { percentile, sleep, waitFor } from "../lib.mjs";
import { arrivalsFor, setupTenant, withRows } from "../scenario-kit.mjs";

export const id = 4;
export const title = "end-to-end latency";

export async function run(ctx) {
  ctx.results.figures.e2e_latency = await withRows(ctx.service, "e2e", "delivered", () => measure(ctx));
}

async function measure({ call, service, receiver }) {
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
  await waitFor(async () => ((await receiver.stats()).count >= RATE * E2E_S ? true : null), {
    timeoutMs: 60_000,
    everyMs: 200,
  });
  const arr4 = arrivalsFor(await receiver.stats(), "bench-latency");
  const lat = arr4
    .map(([k, a]) => a[0][0] - sentAt.get(k.split("|")[1]))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return {
    rate_s: RATE,
    seconds: E2E_S,
    events: RATE * E2E_S,
    arrived: lat.length,
    delivered: lat.length,
    p50_ms: percentile(lat, 50),
    p95_ms: percentile(lat, 95),
    p99_ms: percentile(lat, 99),
    max_ms: lat.at(-1),
  };
}
