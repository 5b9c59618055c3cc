// Scenario 3: delivery throughput. N events to 10 endpoints of one tenant, the same spread over
// 10 tenants × 10 endpoints, and the direct-posting ceiling (bench/ceiling) before and after, in
// the same run. BENCH_FANOUT_EVENTS (default 500) sets N.
import { sleep, waitFor } from "../lib.mjs";
import { countArrivals, postBatches, setupTenant, withRows } from "../scenario-kit.mjs";

export const id = 3;
export const title = "delivery throughput";

export async function run({ call, service, receiver, ceiling, results }) {
  const N = Number(process.env.BENCH_FANOUT_EVENTS || 500);
  console.log(
    `3. delivery throughput: ${N} events × 10 endpoints; 1 tenant, then 10 tenants × 10 endpoints; direct-posting ceiling before and after`,
  );
  const expected = N * 10;

  /** What a run's arrivals say, the same for the ceiling and for Edgehooks. */
  const arrivalFigures = (c, seconds, done) => ({
    deliveries_expected: expected,
    delivered: c.delivered,
    lost: expected - c.delivered,
    duplicates: c.duplicates,
    seconds,
    deliveries_s: c.delivered / seconds,
    complete: Boolean(done),
  });

  const ceilingRun = async (tag) => {
    await receiver.reset();
    const started = performance.timeOrigin + performance.now();
    await ceiling.send({ base: receiver.base, endpoints: 10, events: N, tag });
    const done = await waitFor(async () => ((await receiver.stats()).count >= expected ? true : null), {
      timeoutMs: 120_000,
      everyMs: 200,
    });
    await sleep(1000);
    const c = countArrivals(await receiver.stats(), [`ceiling-${tag}`]);
    const seconds = (c.last - started) / 1000;
    console.log(`  ceiling ${tag}: ${(c.delivered / seconds).toFixed(0)} deliveries/s`);
    return arrivalFigures(c, seconds, done);
  };

  /** Posts N events spread over `tenants` (each with 10 endpoints) and waits for every delivery. */
  const edgehooksRun = async (tenants) => {
    await receiver.reset();
    for (const t of tenants) await setupTenant(call, t, 10, receiver);
    await sleep(500);
    return withRows(service, `${tenants.length} tenant(s) × 10`, "delivered", async () => {
      const started = performance.timeOrigin + performance.now();
      const share = Math.ceil(N / tenants.length);
      await Promise.all(tenants.map((t, i) => postBatches(call, t, Math.min(share, N - i * share))));
      const done = await waitFor(async () => ((await receiver.stats()).count >= expected ? true : null), {
        timeoutMs: 120_000,
        everyMs: 200,
      });
      await sleep(1000); // let any duplicate show up
      const c = countArrivals(await receiver.stats(), tenants);
      const seconds = (c.last - started) / 1000;
      console.log(
        `  edgehooks ${tenants.length} tenant(s) × 10 endpoints: ${(c.delivered / seconds).toFixed(0)} deliveries/s, ${expected - c.delivered} lost, ${c.duplicates} duplicates`,
      );
      return {
        events: N,
        tenants: tenants.length,
        endpoints: 10 * tenants.length,
        ...arrivalFigures(c, seconds, done),
      };
    });
  };

  const ceilingA = await ceilingRun("a");
  results.figures.delivery = await edgehooksRun(["bench-fanout"]);
  results.figures.delivery_10_tenants = await edgehooksRun(Array.from({ length: 10 }, (_, i) => `bench-fanout-${i}`));
  const ceilingB = await ceilingRun("b");
  results.figures.delivery_ceiling = {
    events: N,
    endpoints: 10,
    deliveries_s: (ceilingA.deliveries_s + ceilingB.deliveries_s) / 2,
    runs: [ceilingA, ceilingB],
  };
  results.ratios.delivery_vs_ceiling =
    results.figures.delivery.deliveries_s / results.figures.delivery_ceiling.deliveries_s;
  results.ratios.delivery_10_tenants_vs_1 =
    results.figures.delivery_10_tenants.deliveries_s / results.figures.delivery.deliveries_s;
}
