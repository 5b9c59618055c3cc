/**
 * The TenantLog's schema versions, in the shape drizzle's durable-sqlite migrator reads (what
 * drizzle-kit would bundle as migrations.js). Applied in order when an object starts; an object
 * made by an older version gets only the steps it lacks. Append new steps, never edit old ones.
 * Tables are WITHOUT ROWID where the text key is the only way in (one b-tree instead of a table
 * plus its key index: fewer rows written per insert).
 */
const m0001 = `CREATE TABLE events (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT,
  ordering_key TEXT,
  deliver_at INTEGER,
  expires_at INTEGER,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL,
  fanned_out_at INTEGER
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX events_unfanned ON events (created_at) WHERE fanned_out_at IS NULL;
--> statement-breakpoint
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY NOT NULL,
  event_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  origin TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_attempt_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE UNIQUE INDEX deliveries_origin ON deliveries (event_id, endpoint_id, origin);
--> statement-breakpoint
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id);
--> statement-breakpoint
CREATE TABLE attempts (
  id TEXT PRIMARY KEY NOT NULL,
  delivery_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  url TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  response_body TEXT,
  error TEXT,
  error_detail TEXT,
  request_headers TEXT NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
--> statement-breakpoint
CREATE TABLE meta (k TEXT PRIMARY KEY NOT NULL, v TEXT NOT NULL) WITHOUT ROWID;`;

/** v2: roll-ups, recover tasks (resumable) and dead letters; the task link on deliveries. */
const m0002 = `ALTER TABLE deliveries ADD task_id TEXT;
--> statement-breakpoint
CREATE INDEX deliveries_task ON deliveries (task_id) WHERE task_id IS NOT NULL;
--> statement-breakpoint
CREATE INDEX deliveries_pending ON deliveries (created_at) WHERE status = 'pending';
--> statement-breakpoint
CREATE TABLE delivery_stats (
  endpoint_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  attempts_ok INTEGER DEFAULT 0 NOT NULL,
  attempts_failed INTEGER DEFAULT 0 NOT NULL,
  succeeded INTEGER DEFAULT 0 NOT NULL,
  failed INTEGER DEFAULT 0 NOT NULL,
  cancelled INTEGER DEFAULT 0 NOT NULL,
  latency TEXT NOT NULL,
  PRIMARY KEY (endpoint_id, hour)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  params TEXT NOT NULL,
  total INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  window_since INTEGER NOT NULL,
  window_until INTEGER NOT NULL,
  cursor TEXT,
  handed INTEGER DEFAULT 0 NOT NULL,
  handed_out_at INTEGER,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE dead_letters (
  id TEXT PRIMARY KEY NOT NULL,
  queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  redrives INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;`;

/**
 * v3: events become a rowid table. WITHOUT ROWID stores a row in an index b-tree, where a row
 * over ~1 KB spills into an overflow page of its own: a 1 KB event took 4.7 KB, and 1.4 KB after
 * this (measured, test/tenant-log/footprint.test.ts). A rowid table keeps rows up to ~4 KB inline
 * and shares pages; the text id becomes a unique index, one more row written per event, for 3.3x
 * the events a tenant's 10 GB holds. Attempts stay WITHOUT ROWID: measured, a typical attempt row
 * (small response excerpt) does not spill, and the extra index row would buy nothing. The table
 * is copied once, in the migration's transaction.
 */
const m0003 = `CREATE TABLE events_v3 (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT,
  ordering_key TEXT,
  deliver_at INTEGER,
  expires_at INTEGER,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL,
  fanned_out_at INTEGER
);
--> statement-breakpoint
INSERT INTO events_v3 SELECT id, tenant_id, type, payload, channels, ordering_key, deliver_at, expires_at, idempotency_key, created_at, fanned_out_at FROM events ORDER BY id;
--> statement-breakpoint
DROP TABLE events;
--> statement-breakpoint
ALTER TABLE events_v3 RENAME TO events;
--> statement-breakpoint
CREATE INDEX events_unfanned ON events (created_at) WHERE fanned_out_at IS NULL;`;

/** v4: a re-driven dead letter is kept (marked) until retention, so a second re-drive answers 409. */
const m0004 = `ALTER TABLE dead_letters ADD redriven_at INTEGER;`;

/**
 * v5: operator metrics and trace context. The hourly roll-up row gains the latency sum and the
 * attempts per status class (the same upsert writes them: no extra row per attempt); retried
 * deliveries get a partial index so the backlog gauges count open deliveries without scanning
 * the history (a first-try success never enters it, so the happy path writes no more rows);
 * events keep the W3C trace id and flags of the ingest request that carried a traceparent.
 */
const m0005 = `ALTER TABLE delivery_stats ADD latency_sum_ms INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE delivery_stats ADD attempts_2xx INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE delivery_stats ADD attempts_3xx INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE delivery_stats ADD attempts_4xx INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE delivery_stats ADD attempts_5xx INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE delivery_stats ADD attempts_none INTEGER DEFAULT 0 NOT NULL;
--> statement-breakpoint
CREATE INDEX deliveries_retrying ON deliveries (endpoint_id, status) WHERE status IN ('delivering', 'pending_retry');
--> statement-breakpoint
ALTER TABLE events ADD trace_id TEXT;
--> statement-breakpoint
ALTER TABLE events ADD trace_flags TEXT;`;

/**
 * v6: replays (src/services/replays.ts) are tasks too. A cancelled task keeps its row (its progress
 * stays readable) and is marked here, so no run hands out another page of it.
 */
const m0006 = `ALTER TABLE tasks ADD cancelled_at INTEGER;`;

/**
 * v7: sequenced lanes (./lanes.ts). A delivery of an event with an ordering key records its place
 * in the lane of its endpoint and key: N, the delivery before it (in this segment or an earlier
 * one) and the run of the lane it belongs to. \`lanes\` holds each lane's tail in this segment
 * shard; a row with endpoint_id '' says the key's tails were brought over from the segment before.
 * The partial index finds a key's events not fanned out yet, in ingest order (rowid), so a fan-out
 * takes them first; events without a key never enter it.
 */
const m0007 = `ALTER TABLE deliveries ADD sequence INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD sequence_prev TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD sequence_epoch INTEGER;
--> statement-breakpoint
CREATE INDEX events_lane_unfanned ON events (ordering_key) WHERE fanned_out_at IS NULL AND ordering_key IS NOT NULL;
--> statement-breakpoint
CREATE TABLE lanes (
  ordering_key TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  last_n INTEGER NOT NULL,
  last_delivery_id TEXT,
  epoch INTEGER NOT NULL,
  PRIMARY KEY (ordering_key, endpoint_id)
) WITHOUT ROWID;`;

/**
 * v8: no index of events not fanned out yet. It was a row written on every event's insert (and
 * one more on its fan-out) for a question the sweep's look asks a few times an hour; the look now
 * walks the id index from a mark instead (./sweep-check.ts, UNFANNED_FROM), reading only the
 * events written since the last look.
 */
const m0008 = `DROP INDEX IF EXISTS events_unfanned;`;

/**
 * v9: a delivery lists its attempts' ids (./delivery-attempts.ts), so an attempt needs no index row
 * by delivery. The index itself is dropped at start only in a log that holds no attempt yet.
 */
const m0009 = `ALTER TABLE deliveries ADD attempt_ids TEXT;`;

/**
 * v10: a delivery's first scheduled attempt is kept in its own row (./first-attempt.ts): no attempt
 * row on the first try, and none of the ids an attempt row repeats.
 */
const m0010 = `ALTER TABLE deliveries ADD first_url TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_started_at INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_duration_ms INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_status_code INTEGER;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_response_body TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_error TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_error_detail TEXT;
--> statement-breakpoint
ALTER TABLE deliveries ADD first_request_headers TEXT;`;

/**
 * v11: no index of deliveries never attempted. It was a row written on every delivery's insert;
 * the questions that used it walk each endpoint's deliveries from a mark instead (./pending-marks.ts).
 */
const m0011 = `DROP INDEX IF EXISTS deliveries_pending;`;

/**
 * v12: deliveries are found by event without an index for the event's own fan-out (./event-deliveries.ts):
 * its deliveries' ids are made from event and endpoint, so the primary key finds them and refuses
 * a repeat. The other origins (resends, replays, test sends) keep a unique index of their own.
 * deliveries_origin is dropped at start only in a log that holds no delivery yet.
 */
const m0012 = `CREATE UNIQUE INDEX deliveries_other_origin ON deliveries (event_id, endpoint_id, origin) WHERE origin <> '';`;

const entry = (idx: number, tag: string, when: number) => ({ idx, version: "6", when, tag, breakpoints: true });

export const TENANT_LOG_MIGRATIONS = {
  journal: {
    entries: [
      entry(1, "0001_traffic", 1_795_000_000_000),
      entry(2, "0002_operations", 1_795_000_000_001),
      entry(3, "0003_rowid_tables", 1_795_000_000_002),
      entry(4, "0004_dead_letter_redriven", 1_795_000_000_003),
      entry(5, "0005_metrics", 1_795_000_000_004),
      entry(6, "0006_task_cancel", 1_795_000_000_005),
      entry(7, "0007_lanes", 1_795_000_000_006),
      entry(8, "0008_no_unfanned_index", 1_795_000_000_007),
      entry(9, "0009_delivery_attempt_ids", 1_795_000_000_008),
      entry(10, "0010_first_attempt_in_delivery", 1_795_000_000_009),
      entry(11, "0011_no_pending_index", 1_795_000_000_010),
      entry(12, "0012_deliveries_by_event_id", 1_795_000_000_011),
    ],
  },
  migrations: { m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012 } as Record<
    string,
    string
  >,
};

/** The same migrations cut after `version` steps: what an object of that older version has. */
export function migrationsUpTo(version: number) {
  return {
    journal: { entries: TENANT_LOG_MIGRATIONS.journal.entries.slice(0, version) },
    migrations: TENANT_LOG_MIGRATIONS.migrations,
  };
}
