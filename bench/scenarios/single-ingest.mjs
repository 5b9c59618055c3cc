// Scenario 1: single-event ingest against the baseline Worker, 50 connections, alternated.
import { alternate, load, ROUNDS, SECONDS, withRows } from "../scenario-kit.mjs";

export const id = 1;
export const title = "single ingest";

export async function run({ service, baseline, keys, results }) {
  await withRows(service, "single ingest", "events", async () => {
    console.log(`1. single-event ingest: 50 connections, ${SECONDS} s per run, ${ROUNDS} rounds`);
    const single = JSON.stringify({
      type: "order.created",
      data: { order_id: "ord_123", total_amount: 4200, currency: "EUR" },
    });
    const s1 = await alternate(
      "single",
      () =>
        load({
          url: `${baseline.base}/v1/tenants/bench-ingest/events`,
          body: single,
          keys,
          connections: 50,
          seconds: SECONDS,
        }),
      () =>
        load({
          url: `${service.base}/v1/tenants/bench-ingest/events`,
          body: single,
          keys,
          connections: 50,
          seconds: SECONDS,
        }),
    );
    s1.events = s1.runs.service.reduce((sum, x) => sum + x.ok, 0);
    results.figures.single_ingest = s1;
    results.ratios.single_ingest_throughput = s1.service.ok_s / s1.baseline.req_s;
    results.ratios.single_ingest_p99 = s1.service.p99_ms / s1.baseline.p99_ms;
    return s1;
  });
}
