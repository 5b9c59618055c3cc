// Capacity per tenant at a retention (30 days by default), computed from the bytes this run
// measured and the segment close bounds the service runs with. Computed, not run: it would take
// a month. The bounds are read from the source (src/config.ts, src/tenant-log/segments.ts) so the
// figure follows the code; a setting passed to the bench's service (BENCH_SEGMENT_MAX_EVENTS,
// BENCH_SEGMENT_HOURS) replaces its default.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

/** A SQLite-backed Durable Object holds at most 10 GB (Durable Objects limits). */
const OBJECT_BYTES = 10e9;
/** ~1,000 requests/s per object, Cloudflare's soft limit: one segment shard is one writer. */
const OBJECT_REQUESTS_S = 1000;
const DAY_S = 86_400;

/** A number constant from a source file: `NAME = <digits, _, *, spaces>;` evaluated, or an error. */
function constantIn(file, name) {
  const text = readFileSync(join(ROOT, file), "utf8");
  const m = new RegExp(`\\b${name}\\s*=\\s*([0-9_* ]+);`).exec(text);
  if (!m) throw new Error(`bench/capacity.mjs: no ${name} in ${file}`);
  // Digits, `_`, `*` and spaces only (the pattern above): a number expression, safe to evaluate.
  return Function(`"use strict"; return (${m[1]});`)();
}

/** The segment close bounds in force: the defaults from the source, or what the bench's service was given. */
export function segmentBounds(vars = {}) {
  return {
    hours: Number(vars.TENANT_LOG_SEGMENT_HOURS ?? constantIn("src/config.ts", "DEFAULT_SEGMENT_HOURS")),
    maxEvents: Number(vars.TENANT_LOG_SEGMENT_MAX_EVENTS ?? constantIn("src/config.ts", "DEFAULT_SEGMENT_MAX_EVENTS")),
    closeBytes: constantIn("src/tenant-log/segments.ts", "SEGMENT_CLOSE_BYTES"),
    maxShards: constantIn("src/tenant-log/segments.ts", "MAX_LOG_SHARDS"),
    // A stats or metrics sum reads every kept segment shard in one request: the subrequests one
    // invocation may make bound the objects a tenant may keep.
    subrequests: constantIn("src/lib/platform-limits.ts", "SUBREQUESTS_PER_INVOCATION"),
  };
}

/**
 * For a tenant whose events take `bytesPerEvent` all-in (the event and its deliveries with their
 * first attempts), the events/s it can sustain with `retentionDays` of history:
 * - one object (the log before segments): its 10 GB hold retentionDays of events;
 * - segments of k shards: a shard closes at the event or byte bound, so storage has no ceiling;
 *   the bounds are the write rate (k objects take new events, ~1,000 requests/s each, at
 *   `requestsPerEvent` calls into the log per event) and the objects a tenant keeps (a sum reads
 *   every one of them in one request, under the subrequest limit).
 */
export function capacity({ bytesPerEvent, bounds, retentionDays = 30, shards = [1, 4], requestsPerEvent = 1 }) {
  const keptS = retentionDays * DAY_S;
  const bySize = Math.floor(bounds.closeBytes / bytesPerEvent);
  const eventsPerShard = Math.min(bounds.maxEvents, bySize);
  const oneObject = OBJECT_BYTES / bytesPerEvent / keptS;
  const segmented = Object.fromEntries(
    shards.map((k) => {
      const writes = (k * OBJECT_REQUESTS_S) / requestsPerEvent;
      const kept = (bounds.subrequests * eventsPerShard) / keptS;
      const events_s = Math.min(writes, kept);
      return [
        `k${k}`,
        {
          shards: k,
          events_s,
          bound: events_s === writes ? `write rate (${k} × ~${OBJECT_REQUESTS_S} requests/s)` : "objects a sum reads",
          events_per_day: events_s * DAY_S,
          // Segments a day at that rate: the time bound opens one a day, the event bound more.
          segments_per_day: Math.max(24 / bounds.hours, (events_s * DAY_S) / (k * eventsPerShard)),
        },
      ];
    }),
  );
  return {
    retention_days: retentionDays,
    bytes_per_event: bytesPerEvent,
    events_per_shard: eventsPerShard,
    shard_closes_on: eventsPerShard === bounds.maxEvents ? "TENANT_LOG_SEGMENT_MAX_EVENTS" : "SEGMENT_CLOSE_BYTES",
    shard_bytes_at_close: eventsPerShard * bytesPerEvent,
    one_object_events_s: oneObject,
    segmented,
    bounds,
  };
}
