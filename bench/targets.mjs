// The bench's targets (issue 12), each checked against a figure of this run; a target whose
// figure the run did not measure (a scenario left out by BENCH_ONLY) has no entry.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

/** Where the targets come from, for the printed heading. */
export const TARGETS_FROM = "issue 12";

// Figures from before the TenantLog move, kept to compare rows per webhook against.
const BEFORE_PATH = join(ROOT, "bench", "before-tenant-log.json");

/** The figures measured before the TenantLog move (bench/before-tenant-log.json), if kept. */
function before() {
  if (!existsSync(BEFORE_PATH)) return null;
  return JSON.parse(readFileSync(BEFORE_PATH, "utf8"));
}

/** Each target of issue 12 against its figure; a scenario left out by BENCH_ONLY has no entry. */
export function targets(r) {
  const f = r.figures;
  const out = {};
  const add = (name, target, value, met) => {
    if (value !== undefined && !Number.isNaN(value)) out[name] = { target, value, met: Boolean(met) };
  };
  const rows = f.cost?.rows_written.per_delivered;
  const beforeRows = before()?.figures?.cost?.rows_written?.per_delivered?.total;
  add("d1_rows_per_webhook", "= 0", rows?.d1, rows?.d1 === 0);
  if (beforeRows)
    add("rows_per_webhook_vs_before", `<= 1/3 of ${beforeRows.toFixed(2)} (before the TenantLog)`, rows?.total / beforeRows, rows?.total / beforeRows <= 1 / 3);
  add(
    "deliveries_vs_ceiling",
    ">= 0.9, 0 lost, 0 dup",
    r.ratios.delivery_vs_ceiling,
    r.ratios.delivery_vs_ceiling >= 0.9 && f.delivery?.lost === 0 && f.delivery?.duplicates === 0,
  );
  add(
    "deliveries_10_tenants_vs_1",
    ">= 1, 0 lost, 0 dup",
    r.ratios.delivery_10_tenants_vs_1,
    r.ratios.delivery_10_tenants_vs_1 >= 1 && f.delivery_10_tenants?.lost === 0 && f.delivery_10_tenants?.duplicates === 0,
  );
  add("single_ingest_throughput_ratio", ">= 0.5", r.ratios.single_ingest_throughput, r.ratios.single_ingest_throughput >= 0.5);
  add("single_ingest_p99_ratio", "<= 1.5", r.ratios.single_ingest_p99, r.ratios.single_ingest_p99 <= 1.5);
  add("batch_events_s", ">= 30000", f.batch_ingest?.events_s, f.batch_ingest?.events_s >= 30000);
  add("e2e_p50_ms", "<= 30", f.e2e_latency?.p50_ms, f.e2e_latency?.p50_ms <= 30);
  add("e2e_p99_ms", "<= 120", f.e2e_latency?.p99_ms, f.e2e_latency?.p99_ms <= 120);
  add(
    "retry_p99_ms",
    `<= 1000 with ${f.retry_punctuality?.pending_at_once} pending`,
    f.retry_punctuality?.p99_ms,
    f.retry_punctuality?.p99_ms <= 1000 && f.retry_punctuality?.pending_at_once >= 10_000,
  );
  return out;
}
