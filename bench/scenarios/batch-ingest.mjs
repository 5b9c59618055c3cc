// Scenario 2: batch ingest, 100 events per request, 10 connections, against the baseline Worker.
import { alternate, load, SECONDS, withRows } from "../scenario-kit.mjs";

export const id = 2;
export const title = "batch ingest";

export async function run({ service, baseline, keys, results }) {
  await withRows(service, "batch ingest", "events", async () => {
    console.log(`2. batch ingest: 100 events per request, 10 connections, ${SECONDS / 2} s per run`);
    const batch = JSON.stringify({
      events: Array.from({ length: 100 }, (_, n) => ({
        type: "order.created",
        data: { order_id: `ord_${n}`, total_amount: n },
      })),
    });
    const s2 = await alternate(
      "batch",
      () =>
        load({
          url: `${baseline.base}/v1/tenants/bench-ingest/events/batch`,
          body: batch,
          keys,
          connections: 10,
          seconds: SECONDS / 2,
        }),
      () =>
        load({
          url: `${service.base}/v1/tenants/bench-ingest/events/batch`,
          body: batch,
          keys,
          connections: 10,
          seconds: SECONDS / 2,
        }),
    );
    results.figures.batch_ingest = {
      events_s: s2.service.ok_s * 100,
      baseline_events_s: s2.baseline.req_s * 100,
      events: s2.runs.service.reduce((sum, x) => sum + x.ok, 0) * 100,
      ...s2,
    };
    return results.figures.batch_ingest;
  });
}
