/**
 * The dispatcher's bounds, each under a documented Cloudflare limit it must never reach. The local
 * runtime accepts rows up to ~10 MB, so the store checks the row limit itself (guardRow) and a test
 * fails where production would.
 */

/** Durable Object SQLite refuses a row over 2 MB ("Maximum row size", Durable Objects limits). */
const SQLITE_ROW_LIMIT_BYTES = 2_000_000;

/**
 * One outbox row holds changes up to this many bytes of JSON: half the row limit, so the change
 * that crosses it still fits (one change is at most ~120 KB: a 16 KiB excerpt JSON-escaped, the
 * masked request headers, an error detail of 500 characters).
 */
export const OUTBOX_ROW_MAX_BYTES = 1024 * 1024;

/** And at most this many changes, so one row is a small share of a TenantLog transaction. */
export const OUTBOX_ROW_MAX_CHANGES = 1_000;

/**
 * One `record()` call to the TenantLog carries at most this many bytes of changes: a quarter of
 * the 32 MiB cap on an RPC argument (structured clone adds to the JSON measure).
 */
export const RECORD_CALL_MAX_BYTES = 8 * 1024 * 1024;

/** And at most this many changes: the TenantLog applies one call in one transaction. */
export const RECORD_CALL_MAX_CHANGES = 5_000;

/**
 * Record calls per flush: an invocation's subrequests stay few (the Workers limit is 1,000 on the
 * paid plan, 50 on the free one, shared with the attempts); what is left flushes on the next alarm.
 */
export const FLUSH_CALLS_PER_RUN = 8;

/**
 * Held deliveries a deleted endpoint cancels per invocation, read a page at a time without their
 * payloads: 10 pages of 1,000 keep one run's CPU and memory small; the alarm comes back for more.
 */
export const CANCEL_PAGE = 1_000;
export const CANCEL_PAGES_PER_RUN = 10;

/** Bytes of `text` as SQLite stores it (UTF-8), counted without encoding it. */
export function utf8Bytes(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // 0x80..0x7FF take 2 bytes, the rest of the BMP 3; a surrogate pair (2 units) takes 4.
    if (unit >= 0x80) bytes += unit < 0x800 || (unit >= 0xd800 && unit < 0xe000) ? 1 : 2;
  }
  return bytes;
}

/** guardRow for a row that is mostly `text` (a payload) plus `rest` bytes of other columns; counts only near the limit. */
export function guardTextRow(table: string, text: string, rest = 4096) {
  if (text.length * 3 + rest > SQLITE_ROW_LIMIT_BYTES) guardRow(table, utf8Bytes(text) + rest);
}

/** Throws before a write production would refuse: a row of `bytes` in `table` over the row limit. */
export function guardRow(table: string, bytes: number) {
  if (bytes > SQLITE_ROW_LIMIT_BYTES) {
    throw new Error(`a ${table} row of ${bytes} bytes is over the ${SQLITE_ROW_LIMIT_BYTES}-byte SQLite row limit`);
  }
}
