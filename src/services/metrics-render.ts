/**
 * The operator metrics as Prometheus text: per-endpoint counters, the attempt-latency histogram
 * and the backlog gauges, per-tenant totals of the counters and the backlog, the scrape's own
 * bookkeeping, and the per-isolate rows-written counters the bench reads. Families are rendered
 * one after the other (the format wants every sample of a family together).
 */
import { LATENCY_BUCKETS_MS, STATUS_CLASSES } from "../domain/deliveries";
import { PrometheusText } from "../lib/prometheus";
import { alarmRowsWritten, ROW_STORES, retentionRowsWritten, rowsWritten } from "../lib/row-usage";
import { BACKLOG_STATES, type Scrape } from "./metrics";

/** The histogram's bucket bounds in seconds (Prometheus' base unit): 0.025 … 25.6, then +Inf. */
const LATENCY_BUCKETS_S = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);

export function renderMetrics(scrape: Scrape, nextCursor: string | null): string {
  const out = new PrometheusText();
  const withTotals = scrape.tenants.flatMap((t) =>
    t.metrics ? t.metrics.endpoints.map((e) => ({ tenantId: t.tenantId, e })) : [],
  );
  const ep = (tenantId: string, endpointId: string) => ({ tenant_id: tenantId, endpoint_id: endpointId });

  out.family(
    "edgehooks_attempts_total",
    "counter",
    "Delivery attempts per endpoint, by outcome (succeeded: a 2xx answer; failed: anything else).",
  );
  for (const { tenantId, e } of withTotals) {
    out.sample("edgehooks_attempts_total", { ...ep(tenantId, e.endpointId), outcome: "succeeded" }, e.attemptsOk);
    out.sample("edgehooks_attempts_total", { ...ep(tenantId, e.endpointId), outcome: "failed" }, e.attemptsFailed);
  }
  out.family(
    "edgehooks_attempts_by_status_class_total",
    "counter",
    "Delivery attempts per endpoint, by HTTP status class (none: no HTTP answer: timeout, connection, dns, tls, blocked destination).",
  );
  for (const { tenantId, e } of withTotals) {
    for (const c of STATUS_CLASSES)
      out.sample(
        "edgehooks_attempts_by_status_class_total",
        { ...ep(tenantId, e.endpointId), status_class: c },
        e.byClass[c],
      );
  }
  out.family("edgehooks_deliveries_finished_total", "counter", "Deliveries per endpoint that reached a final status.");
  for (const { tenantId, e } of withTotals) {
    for (const [status, n] of [
      ["succeeded", e.succeeded],
      ["failed", e.failed],
      ["cancelled", e.cancelled],
    ] as const) {
      out.sample("edgehooks_deliveries_finished_total", { ...ep(tenantId, e.endpointId), status }, n);
    }
  }
  out.family(
    "edgehooks_attempt_duration_seconds",
    "histogram",
    "Attempt duration per endpoint, from the request leaving to the answer (blocked destinations never left and are not counted).",
  );
  for (const { tenantId, e } of withTotals)
    out.histogram(
      "edgehooks_attempt_duration_seconds",
      ep(tenantId, e.endpointId),
      LATENCY_BUCKETS_S,
      e.latency,
      e.latencySumMs / 1000,
    );

  out.family(
    "edgehooks_backlog_deliveries",
    "gauge",
    "Open deliveries per endpoint: pending (first attempt due or scheduled), delivering, retrying (pending_retry), held (endpoint disabled), breaker_open (waiting on the circuit breaker).",
  );
  for (const t of scrape.tenants) {
    for (const [endpointId, states] of t.backlog)
      for (const s of BACKLOG_STATES)
        out.sample("edgehooks_backlog_deliveries", { ...ep(t.tenantId, endpointId), state: s }, states[s]);
  }

  out.family(
    "edgehooks_tenant_attempts_total",
    "counter",
    "Delivery attempts per tenant (all its endpoints), by outcome.",
  );
  for (const t of scrape.tenants) {
    if (!t.metrics) continue;
    const list = t.metrics.endpoints;
    out.sample(
      "edgehooks_tenant_attempts_total",
      { tenant_id: t.tenantId, outcome: "succeeded" },
      list.reduce((a, e) => a + e.attemptsOk, 0),
    );
    out.sample(
      "edgehooks_tenant_attempts_total",
      { tenant_id: t.tenantId, outcome: "failed" },
      list.reduce((a, e) => a + e.attemptsFailed, 0),
    );
  }
  out.family(
    "edgehooks_tenant_backlog_deliveries",
    "gauge",
    "Open deliveries per tenant (all its endpoints), by state.",
  );
  for (const t of scrape.tenants) {
    if (!t.metrics) continue;
    for (const s of BACKLOG_STATES)
      out.sample(
        "edgehooks_tenant_backlog_deliveries",
        { tenant_id: t.tenantId, state: s },
        [...t.backlog.values()].reduce((a, b) => a + b[s], 0),
      );
  }

  out.family(
    "edgehooks_tenant_log_bytes",
    "gauge",
    "SQLite bytes of each tenant's log: every kept segment and shard (Durable Object storage, what a segment closes on).",
  );
  for (const t of scrape.tenants) {
    if (t.metrics) out.sample("edgehooks_tenant_log_bytes", { tenant_id: t.tenantId }, t.metrics.storageBytes);
  }

  out.family(
    "edgehooks_scrape_tenants",
    "gauge",
    "Tenants this scrape read (at most METRICS_MAX_TENANTS, or the one named by ?tenant=).",
  );
  out.sample("edgehooks_scrape_tenants", {}, scrape.tenants.length);
  out.family(
    "edgehooks_scrape_truncated",
    "gauge",
    "1 when more tenants follow: ask again with ?cursor= the value of the `# next_cursor` line.",
  );
  out.sample("edgehooks_scrape_truncated", {}, nextCursor ? 1 : 0);
  out.family(
    "edgehooks_scrape_errors",
    "gauge",
    "Tenants whose TenantLog did not answer this scrape (their series are missing from it).",
  );
  out.sample("edgehooks_scrape_errors", {}, scrape.tenants.filter((t) => !t.metrics).length);
  out.family(
    "edgehooks_scrape_breaker_unchecked",
    "gauge",
    "Endpoints with a backlog whose breaker this scrape did not ask (over the per-scrape bound); their backlog keeps its status.",
  );
  out.sample("edgehooks_scrape_breaker_unchecked", {}, scrape.breakerUnchecked);

  rowsWrittenFamily(out);
  if (nextCursor) out.comment(`next_cursor ${nextCursor}`);
  return out.toString();
}

/** Rows written per store by this isolate (what the bench reads; per isolate, see src/lib/row-usage.ts). */
function rowsWrittenFamily(out: PrometheusText) {
  const families: [name: string, help: string, rows: Record<(typeof ROW_STORES)[number], number>][] = [
    [
      "edgehooks_rows_written_total",
      "Rows written by this isolate, per store (D1 meta.rows_written, Durable Object cursor rowsWritten: what Cloudflare bills).",
      rowsWritten(),
    ],
    [
      "edgehooks_alarm_rows_written_total",
      "Of edgehooks_rows_written_total: alarms armed, per store (each setAlarm() is billed as one row written).",
      alarmRowsWritten(),
    ],
    [
      "edgehooks_retention_rows_written_total",
      "Of edgehooks_rows_written_total: rows the retention wrote, per store (purged rows, segment drops).",
      retentionRowsWritten(),
    ],
  ];
  for (const [name, help, rows] of families) {
    out.family(name, "counter", help);
    for (const store of ROW_STORES) out.sample(name, { store }, rows[store]);
  }
}
