// What one webhook costs at Cloudflare's list prices (Workers Paid, past the included usage; the
// $5 monthly minimum and the free allowances are left out: this is the price at the margin).
// Rows written are measured (GET /metrics, the runtime's own counts); Workers requests, queue
// operations and Durable Object requests are counted from the code path, below, because the
// runtime exposes no counter for them.

/** USD per million units, as the pricing pages state them (read 2026-12-01 through `search`). */
export const PRICES = {
  workers_requests: {
    usd_per_million: 0.3,
    source:
      "https://developers.cloudflare.com/workers/platform/pricing/ (Standard: 10 million included per month, +$0.30 per additional million; CPU time +$0.02 per million CPU ms, not priced here)",
  },
  queue_operations: {
    usd_per_million: 0.4,
    source:
      "https://developers.cloudflare.com/queues/platform/pricing/ ($0.40 / million operations; an operation per 64 KB written, read or deleted; 3 operations to deliver a message; a retry is one more read)",
  },
  rows_written: {
    usd_per_million: 1.0,
    source:
      "https://developers.cloudflare.com/d1/platform/pricing/ (rows written: 50 million included, then $1.00 per million) and https://developers.cloudflare.com/durable-objects/platform/pricing/#sqlite-storage-backend (SQLite-backed Durable Objects bill rows written at the same rate)",
  },
  do_requests: {
    usd_per_million: 0.15,
    source:
      "https://developers.cloudflare.com/durable-objects/platform/pricing/ (1 million included, + $0.15/million; includes HTTP requests, RPC sessions and alarm invocations; every RPC method call on a stub is its own session)",
  },
};

/**
 * One webhook, fan-out 1, posted alone (single-event ingest), delivered on the first try. Counted
 * per step from the code; `low` is a full queue batch (50 messages, one call per endpoint per
 * batch), `high` is every message in a batch of its own (what light traffic sees).
 */
const STEPS_D1 = [
  {
    step: "POST /v1/tenants/:t/events (src/routes/events, services/events/ingest.ts)",
    workers_requests: [1, 1],
    queue_operations: [1, 1],
    do_requests: [0, 0],
    note: "1 request; 1 queue write (a message < 64 KB)",
  },
  {
    step: "events queue → consumer (src/queue/consumer.ts)",
    workers_requests: [1 / 50, 1],
    queue_operations: [2, 2],
    do_requests: [0, 0],
    note: "1 consumer invocation per batch of ≤ 50 messages (counted as a Workers request); 1 read + 1 delete per message",
  },
  {
    step: "fan-out → EndpointDispatcher.enqueue (services/events/fanout.ts)",
    workers_requests: [0, 0],
    queue_operations: [0, 0],
    do_requests: [1 / 50, 1],
    note: "1 RPC per endpoint per queue batch",
  },
  {
    step: "dispatcher alarm: attempt + outbox flush to D1 (src/dispatcher)",
    workers_requests: [0, 0],
    queue_operations: [0, 0],
    do_requests: [1 / 20, 1],
    note: "1 alarm per wake-up; one wake-up sends up to max_in_flight (default 20) due deliveries, and the outbox flush runs in the same alarm",
  },
];

/**
 * After the TenantLog move (issue 12, DESIGN.md "The flow"): the ingest, the fan-out's delivery
 * rows and the outbox flush each become one call to the tenant's TenantLog. Used when the run's
 * counters show TenantLog rows; check it against src/tenant-log once that code is merged.
 */
const STEPS_TENANT_LOG = [
  ...STEPS_D1,
  {
    step: "ingest → TenantLog (event + idempotency claim)",
    workers_requests: [0, 0],
    queue_operations: [0, 0],
    do_requests: [1, 1],
    note: "1 RPC per ingest request (concurrent requests may share one)",
  },
  {
    step: "fan-out → TenantLog (delivery rows)",
    workers_requests: [0, 0],
    queue_operations: [0, 0],
    do_requests: [1 / 50, 1],
    note: "1 RPC per tenant per queue batch",
  },
  {
    step: "dispatcher outbox → TenantLog (attempts, statuses, stats)",
    workers_requests: [0, 0],
    queue_operations: [0, 0],
    do_requests: [1 / 20, 1],
    note: "1 RPC per outbox flush",
  },
];

const sum = (steps, key, i) => steps.reduce((s, x) => s + x[key][i], 0);

/**
 * The price of a million webhooks from measured rows per webhook (by store, or `allInRows`) and
 * the counted requests. Answers both bounds and the breakdown of each.
 */
export function pricePerMillion(rowsPerWebhook, allInRows) {
  const mode = rowsPerWebhook.tenant_log > 0 ? "tenant_log" : "d1";
  const steps = mode === "tenant_log" ? STEPS_TENANT_LOG : STEPS_D1;
  // All-in (alarms and the retention counted) when the caller has it; else the run's rows.
  const rows = allInRows ?? rowsPerWebhook.d1 + rowsPerWebhook.tenant_log + rowsPerWebhook.dispatcher;
  const bound = (i) => {
    const units = {
      workers_requests: sum(steps, "workers_requests", i),
      queue_operations: sum(steps, "queue_operations", i),
      rows_written: rows,
      do_requests: sum(steps, "do_requests", i),
    };
    const usd = Object.fromEntries(Object.entries(units).map(([k, n]) => [k, n * PRICES[k].usd_per_million]));
    return {
      per_webhook: units,
      usd_per_million_webhooks: usd,
      total_usd_per_million_webhooks: Object.values(usd).reduce((a, b) => a + b, 0),
    };
  };
  return {
    mode,
    counted:
      "rows written: measured (GET /metrics); Workers requests, queue operations, Durable Object requests: counted from the code path (bench/cost.mjs), low = full queue batches, high = one message per batch",
    rows_per_webhook: { ...rowsPerWebhook, total: rows },
    low: bound(0),
    high: bound(1),
    steps,
    prices: PRICES,
  };
}
