// Scenario 6: the cost of one webhook, fan-out 1, posted alone, delivered on the first try. Rows
// written measured per store (alarms and the retention's rows apart); the rest counted from the
// code path (bench/cost.mjs). Then bytes per event and per delivery (bench/bytes.mjs), rows per
// webhook all-in with the retention measured (bench/retention.mjs), the price all-in, and the
// capacity per tenant at 30 days (bench/capacity.mjs).
// BENCH_COST_EVENTS (default 200) sets how many webhooks; BENCH_RETENTION_RATE (webhooks/s,
// default 1) the tenant's rate for which a segment's retention rows are spread per webhook.
import { measureBytes } from "../bytes.mjs";
import { capacity, segmentBounds } from "../capacity.mjs";
import { pricePerMillion } from "../cost.mjs";
import { listAll, sleep, waitFor } from "../lib.mjs";
import { measureRetentionRows, retentionPerWebhook } from "../retention.mjs";
import { countArrivals, setupTenant, withRows } from "../scenario-kit.mjs";

export const id = 6;
export const title = "cost per webhook";

const COST_EVENTS = Number(process.env.BENCH_COST_EVENTS || 200);
const RETENTION_RATE = Number(process.env.BENCH_RETENTION_RATE || 1);
// BENCH_COST_POSTERS (default 4): posts in flight at once. One is light traffic: each dispatcher
// wake-up then carries fewer deliveries, so its alarms are spread over fewer webhooks.
const POSTERS = Number(process.env.BENCH_COST_POSTERS || 4);
const RETENTION_DAYS = 30;

export async function run({ call, service, receiver, results }) {
  console.log(
    `6. cost per webhook: ${COST_EVENTS} single-event posts (${POSTERS} at a time), fan-out 1, first-try success`,
  );
  await receiver.reset();
  await setupTenant(call, "bench-cost", 1, receiver);
  await sleep(500);
  const figure = await withRows(service, "fan-out 1", "delivered", async () => {
    let next = 0;
    const poster = async () => {
      for (let i = next++; i < COST_EVENTS; i = next++)
        await call("POST", "/v1/tenants/bench-cost/events", { type: "cost.probe", data: { i } });
    };
    await Promise.all(Array.from({ length: POSTERS }, poster));
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
      posters: POSTERS,
      delivered: c.delivered,
      lost: COST_EVENTS - c.delivered,
      duplicates: c.duplicates,
    };
  });
  const bytes = await measureBytes({ call, service, receiver });
  results.figures.bytes = bytes;
  const bounds = segmentBounds();
  // The retention over one segment's life, spread over the webhooks of a segment at RETENTION_RATE.
  const perShard = capacity({ bytesPerEvent: bytes.per_event_fanout_1, bounds }).events_per_shard;
  const segmentEvents = Math.min(perShard, RETENTION_RATE * bounds.hours * 3600);
  const measured = await measureRetentionRows();
  const retention = measured.figures
    ? retentionPerWebhook(measured.figures, {
        events: segmentEvents,
        openHours: segmentEvents / RETENTION_RATE / 3600,
        retentionDays: RETENTION_DAYS,
      })
    : null;
  if (!retention) console.log(`  retention rows not measured: ${measured.why}`);
  figure.all_in = allIn(figure.rows_written.per_delivered, retention);
  figure.retention = retention && { ...retention, rate_webhooks_s: RETENTION_RATE, retention_days: RETENTION_DAYS };
  const a = figure.all_in;
  console.log(
    `  rows per webhook all-in: ${a.total.toFixed(2)} = tenant_log ${a.tenant_log.toFixed(2)} + dispatcher ${a.dispatcher.toFixed(2)} + alarms ${a.alarms.toFixed(2)} (tenant_log ${a.alarms_tenant_log.toFixed(2)}, dispatcher ${a.alarms_dispatcher.toFixed(2)}) + retention ${a.retention === null ? "not measured" : a.retention.toFixed(3)} + d1 ${a.d1.toFixed(2)}`,
  );
  if (retention)
    console.log(
      `    retention: ${retention.rows_per_segment.toFixed(0)} rows over a segment's life (${retention.open_looks.toFixed(0)} hourly looks open, ${retention.closed_looks.toFixed(0)} closed, a drop of ${retention.drop_rows} rows) / ${segmentEvents} webhooks (a segment at ${RETENTION_RATE} webhook/s, ${RETENTION_DAYS}-day retention)`,
    );
  figure.price = pricePerMillion(figure.rows_written.per_delivered, a.total);
  const pr = figure.price;
  console.log(
    `  price per million webhooks all-in (${pr.mode}): $${pr.low.total_usd_per_million_webhooks.toFixed(2)}–$${pr.high.total_usd_per_million_webhooks.toFixed(2)}`,
  );
  for (const k of Object.keys(pr.high.per_webhook)) {
    console.log(
      `    ${k.padEnd(17)} ${pr.low.per_webhook[k].toFixed(2)}–${pr.high.per_webhook[k].toFixed(2)} per webhook × $${pr.prices[k].usd_per_million}/M = $${pr.low.usd_per_million_webhooks[k].toFixed(2)}–$${pr.high.usd_per_million_webhooks[k].toFixed(2)}`,
    );
  }
  results.figures.cost = figure;
  results.figures.capacity = capacityFigures(bytes, bounds);
}

/**
 * Rows per webhook by where they go: each store's SQL rows without its alarms and retention rows,
 * the alarms (each setAlarm one row), the retention over a segment's life (measured apart; the
 * run's own retention rows, if an hourly look fell in it, are left out so as not to count twice),
 * and D1. `total` is what the targets and the price use.
 */
function allIn(p, retention) {
  const sql = (store) => p[store] - (p[`alarm_${store}`] ?? 0) - (p[`retention_${store}`] ?? 0);
  const parts = {
    tenant_log: sql("tenant_log"),
    dispatcher: sql("dispatcher"),
    alarms_tenant_log: p.alarm_tenant_log ?? 0,
    alarms_dispatcher: p.alarm_dispatcher ?? 0,
    d1: sql("d1"),
    retention: retention ? retention.per_webhook : null,
  };
  parts.alarms = parts.alarms_tenant_log + parts.alarms_dispatcher;
  parts.total = parts.tenant_log + parts.dispatcher + parts.alarms + parts.d1 + (parts.retention ?? 0);
  parts.retention_measured = retention !== null;
  return parts;
}

/** Capacity at 30 days at fan-out 1 and 3, from this run's bytes (bench/capacity.mjs), printed. */
function capacityFigures(bytes, bounds) {
  const out = {};
  for (const fanout of [1, 3]) {
    // Single-event ingest: 1 call per event, outcome flushes of up to 20, fan-outs of up to 50.
    const c = capacity({
      bytesPerEvent: bytes[`per_event_fanout_${fanout}`],
      bounds,
      retentionDays: RETENTION_DAYS,
      shards: [1, 4],
      requestsPerEvent: 1 + fanout / 20 + 1 / 50,
    });
    out[`fanout_${fanout}`] = c;
    console.log(
      `  capacity per tenant at ${RETENTION_DAYS} days, fan-out ${fanout} (${c.bytes_per_event.toFixed(0)} B/event): one object (no segments) ${c.one_object_events_s.toFixed(2)} events/s; segments close at ${c.events_per_shard} events (${c.shard_closes_on}, ${(c.shard_bytes_at_close / 1e9).toFixed(2)} GB of 10) — ${Object.values(
        c.segmented,
      )
        .map((x) => `k = ${x.shards}: ${x.events_s.toFixed(0)} events/s (${x.bound})`)
        .join("; ")}`,
    );
  }
  return out;
}
