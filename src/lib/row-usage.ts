/**
 * Rows written, per store, from the runtime's own numbers: a D1 result's `meta.rows_written` and a
 * Durable Object cursor's `rowsWritten` are what Cloudflare bills, so counting them here lets the
 * bench price a webhook from measured rows instead of estimates. Counters live per isolate (in
 * local dev the Worker and its Durable Objects share one isolate, so they add up to the whole
 * service); GET /metrics exposes them.
 */
export const ROW_STORES = ["d1", "tenant_log", "dispatcher"] as const;
type RowStore = (typeof ROW_STORES)[number];

const written: Record<RowStore, number> = { d1: 0, tenant_log: 0, dispatcher: 0 };

/** Adds what one statement or batch wrote; undefined/NaN (a driver that reports nothing) adds 0. */
export function countRowsWritten(store: RowStore, rows: number | undefined | null): void {
  if (typeof rows === "number" && Number.isFinite(rows) && rows > 0) written[store] += rows;
}

export function rowsWritten(): Readonly<Record<RowStore, number>> {
  return { ...written };
}
