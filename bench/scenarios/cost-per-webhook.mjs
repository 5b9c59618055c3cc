// Scenario 6: the cost of one webhook, fan-out 1, posted alone, delivered on the first try. Rows
// written measured per store; the rest counted from the code path (bench/cost.mjs).
// BENCH_COST_EVENTS (default 200) sets how many webhooks.
import { pricePerMillion } from "../cost.mjs";
import { listAll, sleep, waitFor } from "../lib.mjs";
import { countArrivals, setupTenant, withRows } from "../scenario-kit.mjs";

export const id = 6;
export const title = "cost per webhook";

const COST_EVENTS = Number(process.env.BENCH_COST_EVENTS || 200);

export async function run({ call, service, receiver, results }) {
  console.log(`6. cost per webhook: ${COST_EVENTS} single-event posts, fan-out 1, first-try success`);
  await receiver.reset();
  await setupTenant(call, "bench-cost", 1, receiver);
  await sleep(500);
  const figure = await withRows(service, "fan-out 1", "delivered", async () => {
    let next = 0;
    const poster = async () => {
      for (let i = next++; i < COST_EVENTS; i = next++)
        await call("POST", "/v1/tenants/bench-cost/events", { type: "cost.probe", data: { i } });
    };
    await Promise.all(Array.from({ length: 4 }, poster));
    await waitFor(async () => ((await receiver.stats()).count >= COST_EVENTS ? true : null), {
      timeoutMs: 60_000,
      everyMs: 200,
    });
    // Every delivery recorded as succeeded, whichever store holds the log.
    await waitFor(
      async () =>
        (await listAll(call, "/v1/tenants/bench-cost/deliveries?status=succeeded")).length >= COST_EVENTS ? true : null,
      {
        timeoutMs: 30_000,
        everyMs: 500,
      },
    );
    const c = countArrivals(await receiver.stats(), ["bench-cost"]);
    return {
      events: COST_EVENTS,
      fanout: 1,
      delivered: c.delivered,
      lost: COST_EVENTS - c.delivered,
      duplicates: c.duplicates,
    };
  });
  figure.price = pricePerMillion(figure.rows_written.per_delivered);
  const pr = figure.price;
  console.log(
    `  price per million webhooks (${pr.mode}): $${pr.low.total_usd_per_million_webhooks.toFixed(2)}–$${pr.high.total_usd_per_million_webhooks.toFixed(2)}`,
  );
  for (const k of Object.keys(pr.high.per_webhook)) {
    console.log(
      `    ${k.padEnd(17)} ${pr.low.per_webhook[k].toFixed(2)}–${pr.high.per_webhook[k].toFixed(2)} per webhook × $${pr.prices[k].usd_per_million}/M = $${pr.low.usd_per_million_webhooks[k].toFixed(2)}–$${pr.high.usd_per_million_webhooks[k].toFixed(2)}`,
    );
  }
  results.figures.cost = figure;
}
