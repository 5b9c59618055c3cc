/**
 * Rows written, per store, from the runtime's own numbers: a D1 result's `meta.rows_written` and a
 * Durable Object cursor's `rowsWritten` are what Cloudflare bills, so counting them here lets the
 * bench price a webhook from measured rows instead of estimates. Counters live per isolate (in
 * local dev the Worker and its Durable Objects share one isolate, so they add up to the whole
 * service); GET /metrics exposes them.
 *
 * Two parts of each store's total are also kept apart, so the bench can say where rows go:
 * - alarms: "each setAlarm() is billed as a single row written" (Durable Objects pricing), and no
 *   cursor reports it, so every setAlarm goes through armAlarm() below and counts one row in the
 *   store of the object that arms it;
 * - retention: what the retention's deletes and segment drops report (deletes are billed as rows
 *   written), counted with asRetention() around the retention's own writes.
 */
export const ROW_STORES = ["d1", "tenant_log", "dispatcher"] as const;
type RowStore = (typeof ROW_STORES)[number];
/** Stores that arm alarms: the two Durable Object classes. */
export type AlarmStore = Exclude<RowStore, "d1">;

const zero = (): Record<RowStore, number> => ({ d1: 0, tenant_log: 0, dispatcher: 0 });
const written = zero();
const alarms = zero();
const retention = zero();

/** Adds what one statement or batch wrote; undefined/NaN (a driver that reports nothing) adds 0. */
export function countRowsWritten(store: RowStore, rows: number | undefined | null): void {
  if (typeof rows === "number" && Number.isFinite(rows) && rows > 0) written[store] += rows;
}

/** Every row written per store, alarms and retention included. */
export function rowsWritten(): Readonly<Record<RowStore, number>> {
  return { ...written };
}

/** Of rowsWritten(): the alarms armed (one row per setAlarm). */
export function alarmRowsWritten(): Readonly<Record<RowStore, number>> {
  return { ...alarms };
}

/** Of rowsWritten(): what the retention wrote (purges, segment drops). */
export function retentionRowsWritten(): Readonly<Record<RowStore, number>> {
  return { ...retention };
}

/** Arms the object's alarm and counts the row it is billed as, in the store of the object. */
export async function armAlarm(storage: DurableObjectStorage, store: AlarmStore, at: number): Promise<void> {
  await storage.setAlarm(at);
  written[store] += 1;
  alarms[store] += 1;
}

/**
 * Runs a synchronous piece of the retention and adds what it wrote in `store` (counted as usual by
 * countRowsWritten) to the retention's part. Synchronous on purpose: nothing else runs in this
 * isolate meanwhile, so the difference is exactly this piece's rows even where objects share it.
 */
export function asRetention<T>(store: RowStore, fn: () => T): T {
  const before = written[store];
  const out = fn();
  retention[store] += written[store] - before;
  return out;
}

/** Rows already counted in `store` (an awaited D1 write's meta) that the retention wrote. */
export function countRetentionRows(store: RowStore, rows: number | undefined | null): void {
  if (typeof rows === "number" && Number.isFinite(rows) && rows > 0) retention[store] += rows;
}
