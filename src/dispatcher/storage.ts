/**
 * The dispatcher's own SQLite: the endpoint's pending set (its schedule), its health and an outbox
 * of TenantLog writes. Kept here, not in the log, because it changes on every attempt and only this endpoint
 * reads it.
 */

import type { EndpointSnapshot } from "../attempts/endpoint-snapshot";
import type { DeliveryChange } from "../attempts/record";
import { HEALTHY, type Health } from "../delivery/health";
import { chunk } from "../lib/chunk";
import { MultiRowInsert } from "../lib/multi-row-insert";
import { IDS_PER_IN_LIST } from "../lib/platform-limits";
import { countRowsWritten } from "../lib/row-usage";
import { valuesIn } from "../lib/table-insert";
import {
  guardRow,
  guardTextRow,
  OUTBOX_ROW_MAX_BYTES,
  OUTBOX_ROW_MAX_CHANGES,
  RECORD_CALL_MAX_BYTES,
  RECORD_CALL_MAX_CHANGES,
  utf8Bytes,
} from "./bounds";
import { FreshHold, freshCandidate } from "./fresh-hold";
import { LANE_GAP_WAIT_MS } from "./lanes";
import type { PendingDisable } from "./signals";

export type PendingRow = {
  seq: number;
  delivery_id: string;
  tenant_id: string;
  event_id: string;
  event_type: string;
  event_created_at: number;
  payload: string;
  ordering_key: string | null;
  expires_at: number | null;
  attempts: number;
  due_at: number;
  lease_until: number | null;
  trigger: string;
  trace_id: string | null;
  trace_flags: string | null;
  /** Its place in its lane (./lanes.ts): N (0 for none), the delivery before it, and the lane's run. */
  lane_n: number;
  lane_prev: string | null;
  lane_epoch: number;
};

/** What cancelling a held delivery needs: no payload, so a page of them stays small. */
export type HeldRef = Pick<PendingRow, "seq" | "delivery_id" | "tenant_id" | "event_id">;
const REF_COLUMNS = "seq, delivery_id, tenant_id, event_id";

/** Outbox rows one TenantLog call takes at most (and sizes first): most rows hold one attempt run's few changes. */
const OUTBOX_ROWS_PER_CALL = 100;

/**
 * Every index here is a row written on each insert (Cloudflare bills index rows too), so there
 * are only the ones a hot query needs: due order, ordering lanes (only rows that have a key) and
 * expiry (only rows that have one). `seq` is assigned by the store (see nextSeq), not by
 * AUTOINCREMENT, whose sqlite_sequence update would be one more row per insert.
 */
/** The columns an enqueue writes of a pending row: a PendingRow's own keys, which are the column names. */
export const PENDING_INSERT = [
  "seq",
  "delivery_id",
  "tenant_id",
  "event_id",
  "event_type",
  "event_created_at",
  "payload",
  "ordering_key",
  "expires_at",
  "attempts",
  "due_at",
  "trigger",
  "trace_id",
  "trace_flags",
  "lane_n",
  "lane_prev",
  "lane_epoch",
] as const satisfies readonly (keyof PendingRow)[];

const TABLES = `
CREATE TABLE IF NOT EXISTS pending (
  seq INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_created_at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  ordering_key TEXT,
  expires_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  lease_until INTEGER,
  trigger TEXT NOT NULL DEFAULT 'scheduled',
  trace_id TEXT,
  trace_flags TEXT,
  lane_n INTEGER NOT NULL DEFAULT 0,
  lane_prev TEXT,
  lane_epoch INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lanes (
  key TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  last_n INTEGER NOT NULL,
  waiting_since INTEGER,
  walk_head TEXT,
  walk_from TEXT,
  touched_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
`;

/** The indexes, made once the columns they name exist (an older pending table gains them first). */
const INDEXES = `
DROP INDEX IF EXISTS pending_lane;
CREATE INDEX IF NOT EXISTS pending_due ON pending (due_at, seq);
CREATE INDEX IF NOT EXISTS pending_lane_order ON pending (ordering_key, lane_epoch, lane_n, seq) WHERE ordering_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS pending_expiry ON pending (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS lanes_waiting ON lanes (waiting_since) WHERE waiting_since IS NOT NULL;
`;

/**
 * The layout version this code writes; older objects are brought up to it when they start.
 * v3 is v2 with the trace columns, v4 v3 with the lane columns and table (./lanes.ts), each gained
 * in place: the version says they are there, so an object that starts on v4 reads one meta row
 * and checks nothing else.
 */
export const DISPATCHER_SCHEMA_VERSION = 4;

/**
 * v1 → v2: pending had AUTOINCREMENT, a lane index over every row and a lease index. The table is
 * rebuilt in one transaction (rows keep their seq, so lanes keep their order).
 */
const V1_TO_V2 = `
DROP INDEX IF EXISTS pending_lease;
DROP INDEX IF EXISTS pending_lane;
DROP INDEX IF EXISTS pending_due;
DROP INDEX IF EXISTS pending_expiry;
ALTER TABLE pending RENAME TO pending_v1;
`;

/** How many settled delivery ids a dispatcher remembers, so a late re-hand cannot re-send them. */
const SETTLED_MEMORY = 10_000;

export class DispatcherStore {
  /**
   * Write-through copy of `meta`: only this object writes its storage, so memory and SQLite agree,
   * and the endpoint snapshot and health are read on every step of every alarm run.
   */
  private readonly metaCache = new Map<string, unknown>();

  private readonly sql: Pick<SqlStorage, "exec">;

  /** The next seq to assign; read from the table once per object start, then counted here. */
  private nextSeq: number | null = null;

  /** Entries in the outbox, or null until first counted. */
  private outboxCount: number | null = null;

  /**
   * Delivery ids this object removed (settled or cancelled), newest last. A fan-out that runs
   * again (its queue message retried) hands over every delivery the TenantLog still shows
   * `pending`, which includes ones settled here whose outcome is still on its way to the log;
   * without this memory they would be sent twice. Memory only: it covers the window in which the
   * outcome is in flight, and that window does not survive this object either.
   */
  private readonly settled = new Map<string, SettledHere>();

  /** First attempts held in memory, not in the pending table (./fresh-hold.ts). */
  private readonly fresh = new FreshHold();

  /** `now`: the owning object's clock (a lane that starts to wait is stamped with it). */
  constructor(
    sql: SqlStorage,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = countingSql(sql);
    this.layOut();
  }

  /** After storage.deleteAll(): forget the cached copy and lay the tables out again. */
  cleared() {
    this.metaCache.clear();
    this.nextSeq = null;
    this.outboxCount = null;
    this.settled.clear();
    this.fresh.clear();
    this.layOut();
  }

  private layOut() {
    // The common case, every time an evicted object wakes for an alarm: laid out already. Measured
    // under 10,000 retries, the full check below was a fifth of all SQLite time.
    if (this.storedVersion() === DISPATCHER_SCHEMA_VERSION) return;
    const hasPending =
      this.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'pending'")
        .one().n > 0;
    const version = hasPending ? Number(this.metaValue("schema_version") ?? 1) : DISPATCHER_SCHEMA_VERSION;
    if (version < 2) {
      addColumns(this.sql); // the copy below is column for column
      this.sql.exec(V1_TO_V2);
      this.sql.exec(TABLES);
      this.sql.exec("INSERT INTO pending SELECT * FROM pending_v1");
      this.sql.exec("DROP TABLE pending_v1");
    } else {
      this.sql.exec(TABLES);
      addColumns(this.sql);
    }
    this.sql.exec(INDEXES);
    if (Number(this.metaValue("schema_version") ?? 0) !== DISPATCHER_SCHEMA_VERSION)
      this.setMeta("schema_version", DISPATCHER_SCHEMA_VERSION);
  }

  /** schema_version in one statement, or null when there is no meta table (a new object) or no such row. */
  private storedVersion(): number | null {
    try {
      const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'schema_version'").toArray()[0];
      return row ? Number(JSON.parse(row.v)) : null;
    } catch {
      return null;
    }
  }

  /** meta without the cache, for layOut (the table may not exist yet). */
  private metaValue(key: string): unknown {
    const hasMeta =
      this.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        .one().n > 0;
    if (!hasMeta) return null;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", key).toArray()[0];
    return row ? JSON.parse(row.v) : null;
  }

  private takeSeq(): number {
    if (this.nextSeq === null)
      this.nextSeq = this.sql.exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM pending").one().n;
    return this.nextSeq++;
  }

  getMeta<T>(key: string): T | null {
    if (this.metaCache.has(key)) return this.metaCache.get(key) as T | null;
    const row = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", key).toArray()[0];
    const value = row ? (JSON.parse(row.v) as T) : null;
    this.metaCache.set(key, value);
    return value;
  }

  /** Writes only a change: the snapshot and health are set on every enqueue and attempt. */
  setMeta(key: string, value: unknown) {
    if (this.metaCache.has(key) && JSON.stringify(this.metaCache.get(key)) === JSON.stringify(value)) return;
    this.sql.exec(
      "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
      key,
      JSON.stringify(value),
    );
    this.metaCache.set(key, structuredClone(value));
  }

  get endpoint(): EndpointSnapshot | null {
    return this.getMeta<EndpointSnapshot>("endpoint");
  }

  set endpoint(row: EndpointSnapshot) {
    this.setMeta("endpoint", row);
  }

  /** The endpoint was deleted: the object only cancels what it holds, then clears itself. */
  get forgotten(): boolean {
    return this.getMeta<boolean>("forgotten") === true;
  }

  set forgotten(value: boolean) {
    this.setMeta("forgotten", value);
  }

  /** A disable applied here that D1 does not have yet (./signals.ts). */
  get pendingDisable(): PendingDisable | null {
    return this.getMeta<PendingDisable>("pending_disable");
  }

  set pendingDisable(value: PendingDisable | null) {
    this.setMeta("pending_disable", value);
  }

  get health(): Health {
    return this.getMeta<Health>("health") ?? HEALTHY;
  }

  set health(h: Health) {
    this.setMeta("health", h);
  }

  /**
   * Adds deliveries; one already held is ignored, and so is a scheduled hand-off of one this
   * object settled a moment ago (see `settled`). A manual retry or a recover is sent again.
   * `holdFresh`: a first attempt due now may be held in memory instead (./fresh-hold.ts); the
   * caller says whether it can go out at once (an active endpoint, the breaker closed).
   */
  insertPending(rows: Omit<PendingRow, "seq" | "lease_until">[], holdFresh = false): number {
    const now = this.now();
    const candidates = holdFresh ? rows.filter((r) => freshCandidate(r, now)) : [];
    // One the table holds already stays there (a re-hand), so it is never held twice.
    const inTable = this.heldInTable(candidates.map((r) => r.delivery_id));
    const holdable = new Set(candidates.filter((r) => !inTable.has(r.delivery_id)));
    let held = 0;
    const toTable: Omit<PendingRow, "lease_until">[] = [];
    for (const r of rows) {
      if (r.trigger === "scheduled" && this.settled.has(r.delivery_id)) continue;
      if (this.fresh.has(r.delivery_id)) continue;
      const row = { ...r, seq: this.takeSeq() };
      if (holdable.has(r) && this.fresh.add({ ...row, lease_until: null })) held++;
      else toTable.push(row);
    }
    return held + this.insertRows(toTable);
  }

  /** Writes rows to the pending table; answers how many were new (one already there is ignored). */
  private insertRows(rows: Omit<PendingRow, "lease_until">[]): number {
    let added = 0;
    const inserts = new MultiRowInsert(
      `INSERT OR IGNORE INTO pending (${PENDING_INSERT.join(", ")})`,
      PENDING_INSERT.length,
      // Only the rows inserted come back: one already held is ignored.
      "RETURNING seq",
      (query, params) => {
        const cursor = this.sql.exec(query, ...params);
        added += cursor.toArray().length;
        countRowsWritten("dispatcher", cursor.rowsWritten);
      },
    );
    for (const r of rows) {
      guardTextRow("pending", r.payload);
      inserts.add(valuesIn(PENDING_INSERT, r));
    }
    inserts.flush();
    return added;
  }

  /** Which of these delivery ids the pending table holds (a few indexed reads, no write). */
  private heldInTable(ids: string[]): Set<string> {
    const found = new Set<string>();
    for (const part of chunks(ids))
      for (const r of this.sql
        .exec<{ delivery_id: string }>(`SELECT delivery_id FROM pending WHERE delivery_id IN (${marks(part)})`, ...part)
        .toArray())
        found.add(r.delivery_id);
    return found;
  }

  get(deliveryId: string): PendingRow | null {
    const held = this.fresh.get(deliveryId);
    if (held) return { ...held };
    return this.sql.exec<PendingRow>("SELECT * FROM pending WHERE delivery_id = ?", deliveryId).toArray()[0] ?? null;
  }

  /** Up to `limit` deliveries whose expires_at has passed and that are not in flight, without their payloads. */
  expired(now: number, limit: number): HeldRef[] {
    const held = this.fresh.idle(now).filter((r) => r.expires_at !== null && r.expires_at <= now);
    return [...held.slice(0, limit), ...this.expiredInTable(now, limit - Math.min(limit, held.length))];
  }

  private expiredInTable(now: number, limit: number): HeldRef[] {
    if (limit <= 0) return [];
    return this.sql
      .exec<HeldRef>(
        `SELECT ${REF_COLUMNS} FROM pending WHERE expires_at IS NOT NULL AND expires_at <= ? AND (lease_until IS NULL OR lease_until <= ?) LIMIT ?`,
        now,
        now,
        limit,
      )
      .toArray();
  }

  /**
   * Up to `limit` deliveries, not in flight, that the tenant's log no longer keeps: created more
   * than `retentionMs` ago, or due only after that (a deliver_at past the retention). A scan: it
   * runs a few times a day, and an index would be one more row written per insert.
   */
  beyondRetention(now: number, retentionMs: number, limit: number): HeldRef[] {
    return this.sql
      .exec<HeldRef>(
        `SELECT ${REF_COLUMNS} FROM pending WHERE (lease_until IS NULL OR lease_until <= ?) AND (event_created_at <= ? OR due_at >= event_created_at + ?) LIMIT ?`,
        now,
        now - retentionMs,
        retentionMs,
        limit,
      )
      .toArray();
  }

  /** The `limit` oldest held deliveries, without their payloads (a deleted endpoint cancels them page by page). */
  oldest(limit: number): HeldRef[] {
    const held = this.fresh.all().slice(0, limit);
    if (held.length >= limit) return held;
    return [
      ...held,
      ...this.sql
        .exec<HeldRef>(`SELECT ${REF_COLUMNS} FROM pending ORDER BY seq LIMIT ?`, limit - held.length)
        .toArray(),
    ];
  }

  /**
   * Due deliveries, oldest first. A delivery with an ordering key is eligible only while it heads
   * its lane and its lane may go on (LANE_HEAD), so one key goes strictly in order while keys run
   * in parallel.
   */
  due(now: number, limit: number): PendingRow[] {
    if (limit <= 0) return [];
    const held = this.fresh.idle(now).map((r) => ({ ...r }));
    return [...held, ...this.dueInTable(now, limit)]
      .sort((a, b) => a.due_at - b.due_at || a.seq - b.seq)
      .slice(0, limit);
  }

  private dueInTable(now: number, limit: number): PendingRow[] {
    return this.sql
      .exec<PendingRow>(
        `SELECT * FROM pending p
         WHERE p.due_at <= ? AND (p.lease_until IS NULL OR p.lease_until <= ?) AND ${LANE_HEAD}
         ORDER BY p.due_at, p.seq LIMIT ?`,
        now,
        now,
        now,
        limit,
      )
      .toArray();
  }

  inFlight(now: number): number {
    return (
      this.fresh.leased(now).length +
      this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending WHERE lease_until > ?", now).one().n
    );
  }

  /** A held row's lease lives in memory, with the row; a table row's in the table. */
  lease(seqs: number[], until: number) {
    const inTable = seqs.filter((seq) => {
      const held = this.fresh.bySeq(seq);
      if (held) held.lease_until = until;
      return !held;
    });
    for (const chunk of chunks(inTable))
      this.sql.exec(`UPDATE pending SET lease_until = ? WHERE seq IN (${marks(chunk)})`, until, ...chunk);
  }

  /** A held row that needs another attempt is written to the table now, with its new due time. */
  reschedule(seq: number, attempts: number, dueAt: number) {
    const held = this.fresh.take(seq);
    if (held) {
      const { lease_until: _, ...row } = held;
      this.insertRows([{ ...row, attempts, due_at: dueAt, trigger: "scheduled" }]);
      return;
    }
    this.sql.exec(
      "UPDATE pending SET attempts = ?, due_at = ?, lease_until = NULL, trigger = 'scheduled' WHERE seq = ?",
      attempts,
      dueAt,
      seq,
    );
  }

  release(seq: number) {
    const held = this.fresh.bySeq(seq);
    if (held) {
      held.lease_until = null;
      return;
    }
    this.sql.exec("UPDATE pending SET lease_until = NULL WHERE seq = ?", seq);
  }

  remove(seq: number) {
    this.removeMany([seq]);
  }

  /** Whether the row with this seq is a first attempt held in memory (./fresh-hold.ts), with no table row. */
  inMemory(seq: number): boolean {
    return this.fresh.bySeq(seq) !== null;
  }

  /**
   * Removes settled (or cancelled) deliveries: `attempted` when they leave after an attempt in
   * their turn, not withdrawn unsent. A keyed one that was its lane's next moves the lane on
   * (./lanes.ts); each lane touched is then checked for a gap.
   */
  removeMany(seqs: number[], attempted = false) {
    const touched = new Set<string>();
    const inTable = seqs.filter((seq) => {
      const held = this.fresh.take(seq);
      if (held) this.remember(held.delivery_id, { attempted, prev: null });
      return !held;
    });
    for (const chunk of chunks(inTable)) {
      const cursor = this.sql.exec<{
        delivery_id: string;
        ordering_key: string | null;
        lane_n: number;
        lane_epoch: number;
        lane_prev: string | null;
      }>(
        `DELETE FROM pending WHERE seq IN (${marks(chunk)}) RETURNING delivery_id, ordering_key, lane_n, lane_epoch, lane_prev`,
        ...chunk,
      );
      const removed = cursor.toArray();
      countRowsWritten("dispatcher", cursor.rowsWritten);
      for (const r of removed) {
        this.remember(r.delivery_id, { attempted, prev: r.lane_prev });
        if (r.ordering_key === null) continue;
        touched.add(r.ordering_key);
        if (r.lane_n > 0) this.laneSettled(r.ordering_key, r.lane_epoch, r.lane_n);
      }
    }
    // A gap found as a lane moves on had the whole attempt before it to arrive: ask the log at once.
    if (touched.size) this.checkLanes([...touched], this.now(), true);
  }

  /** Delivery N of a lane's run settled: the lane moves on when it was the next one (or starts a new run at 1). */
  private laneSettled(key: string, epoch: number, n: number) {
    const lane = this.lane(key);
    if (lane && lane.epoch === epoch && n === lane.last_n + 1)
      this.sql.exec("UPDATE lanes SET last_n = ?, touched_at = ? WHERE key = ?", n, this.now(), key);
    else if ((!lane || lane.epoch < epoch) && n === 1)
      this.sql.exec(
        `INSERT INTO lanes (key, epoch, last_n, touched_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (key) DO UPDATE SET epoch = excluded.epoch, last_n = 1, walk_from = NULL, touched_at = excluded.touched_at`,
        key,
        epoch,
        this.now(),
      );
  }

  lane(key: string): LaneRow | null {
    return this.sql.exec<LaneRow>("SELECT * FROM lanes WHERE key = ?", key).toArray()[0] ?? null;
  }

  /**
   * The first numbered delivery of a lane (what its N says comes next), or null. An unnumbered
   * row may go before it (LANE_HEAD) but says nothing about a gap.
   */
  laneHead(key: string): PendingRow | null {
    return (
      this.sql
        .exec<PendingRow>(
          "SELECT * FROM pending WHERE ordering_key = ? AND lane_n > 0 ORDER BY lane_epoch, lane_n, seq LIMIT 1",
          key,
        )
        .toArray()[0] ?? null
    );
  }

  /**
   * Marks each of these lanes as waiting (since `now`, or since it already was) when its head has
   * a gap before it: N - 1 of its run neither settled here nor held here. Clears the mark of one
   * that no longer waits. `now` null: only clear. A lane this object has no state of (new here,
   * or forgotten when idle), or an `urgent` check, is due for its walk at once.
   */
  checkLanes(keys: string[], now: number | null, urgent = false) {
    for (const key of keys) {
      const head = this.laneHead(key);
      const lane = this.lane(key);
      const gap = head !== null && head.lane_n > 1 + settledBefore(lane, head);
      if (gap && lane?.waiting_since == null && now !== null)
        this.sql.exec(
          "INSERT INTO lanes (key, epoch, last_n, waiting_since, touched_at) VALUES (?, 0, 0, ?, ?) ON CONFLICT (key) DO UPDATE SET waiting_since = excluded.waiting_since",
          key,
          lane && !urgent ? now : now - LANE_GAP_WAIT_MS,
          now,
        );
      else if (!gap && lane && (lane.waiting_since !== null || lane.walk_from !== null))
        this.sql.exec("UPDATE lanes SET waiting_since = NULL, walk_head = NULL, walk_from = NULL WHERE key = ?", key);
    }
  }

  /** Lanes that have waited for a delivery since `before` or longer, oldest first. */
  waitingLanes(before: number, limit: number): LaneRow[] {
    return this.sql
      .exec<LaneRow>(
        "SELECT * FROM lanes WHERE waiting_since IS NOT NULL AND waiting_since <= ? ORDER BY waiting_since LIMIT ?",
        before,
        limit,
      )
      .toArray();
  }

  /** The walk found every delivery before the head settled (or gone): the lane goes on from N - 1. */
  laneResolved(key: string, epoch: number, lastN: number) {
    this.sql.exec(
      `INSERT INTO lanes (key, epoch, last_n, touched_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET epoch = excluded.epoch, last_n = excluded.last_n, waiting_since = NULL,
         walk_head = NULL, walk_from = NULL, touched_at = excluded.touched_at`,
      key,
      epoch,
      lastN,
      this.now(),
    );
  }

  /**
   * Forgets up to `limit` lanes untouched since `before` with nothing held: what keeps this
   * object's lanes table to the keys of recent traffic. A forgotten lane's next delivery asks the
   * log once (./lanes.ts) and goes on. A scan (a few times a day): an index on touched_at would
   * be rewritten on every settle. Answers how many it forgot.
   */
  pruneLanes(before: number, limit: number): number {
    const cursor = this.sql.exec(
      `DELETE FROM lanes WHERE key IN (SELECT key FROM lanes l WHERE l.touched_at < ? AND l.waiting_since IS NULL
         AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.ordering_key = l.key) LIMIT ?)`,
      before,
      limit,
    );
    cursor.toArray();
    return cursor.rowsWritten;
  }

  /** Where a walk cut by its bound goes on next time, as long as the lane's head is still `head`. */
  laneWalkFrom(key: string, head: string, from: string) {
    this.sql.exec("UPDATE lanes SET walk_head = ?, walk_from = ? WHERE key = ?", head, from, key);
  }

  /** How this object let a delivery go a moment ago, if it did (its outcome may not be in the log yet). */
  settledHere(deliveryId: string): SettledHere | null {
    return this.settled.get(deliveryId) ?? null;
  }

  private remember(deliveryId: string, how: SettledHere) {
    this.settled.delete(deliveryId);
    this.settled.set(deliveryId, how);
    if (this.settled.size > SETTLED_MEMORY) this.settled.delete(this.settled.keys().next().value!);
  }

  count(): number {
    return this.fresh.size + this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  }

  /** Every held delivery, in the table or in memory, by seq. */
  all(): PendingRow[] {
    return [
      ...this.sql.exec<PendingRow>("SELECT * FROM pending ORDER BY seq").toArray(),
      ...this.fresh.all().map((r) => ({ ...r })),
    ].sort((a, b) => a.seq - b.seq);
  }

  /**
   * What arming the alarm needs, in one statement instead of four (each storage call has a fixed
   * cost, and this runs at the end of every alarm): attempts in flight, the first lease to run out,
   * the next due time of a delivery that heads its lane and is not in flight, the first expiry,
   * and since when the longest-waiting lane waits for a delivery it was not handed (./lanes.ts).
   */
  wakeInputs(now: number): {
    inFlight: number;
    /** Of inFlight, the table's rows (a held row in flight needs no wake of its own: ./fresh-hold.ts). */
    inFlightInTable: number;
    lease: number | null;
    nextDue: number | null;
    expiry: number | null;
    laneWait: number | null;
  } {
    const r = this.sql
      .exec<{
        in_flight: number;
        lease: number | null;
        next_due: number | null;
        expiry: number | null;
        lane_wait: number | null;
      }>(
        `SELECT
           (SELECT COUNT(*) FROM pending WHERE lease_until > ?) AS in_flight,
           (SELECT MIN(lease_until) FROM pending WHERE lease_until > ?) AS lease,
           -- In pending_due order, so the scan stops at the first eligible row instead of reading all.
           (SELECT due_at FROM pending p WHERE (lease_until IS NULL OR lease_until <= ?) AND ${LANE_HEAD}
              ORDER BY due_at, seq LIMIT 1) AS next_due,
           (SELECT MIN(expires_at) FROM pending WHERE expires_at IS NOT NULL) AS expiry,
           (SELECT MIN(waiting_since) FROM lanes WHERE waiting_since IS NOT NULL) AS lane_wait`,
        now,
        now,
        now,
        now,
      )
      .one();
    const leased = this.fresh.leased(now);
    const idle = this.fresh.idle(now);
    const min = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length ? Math.min(...known) : null;
    };
    return {
      inFlight: r.in_flight + leased.length,
      inFlightInTable: r.in_flight,
      // A held row's lease brings no alarm: it is the safety net for an attempt cut short with its
      // object, and a held row is gone with its object (the sweep sends it: ./fresh-hold.ts).
      lease: r.lease,
      nextDue: min([r.next_due, ...idle.map((h) => h.due_at)]),
      expiry: min([r.expiry, ...this.fresh.all().map((h) => h.expires_at)]),
      laneWait: r.lane_wait,
    };
  }

  /** Queues changes for the TenantLog, in rows bounded in bytes and in changes (./bounds.ts). */
  pushOutbox(changes: DeliveryChange[]) {
    let row: string[] = [];
    let bytes = 2;
    const write = () => {
      if (!row.length) return;
      const text = `[${row.join(",")}]`;
      guardRow("outbox", utf8Bytes(text));
      this.sql.exec("INSERT INTO outbox (change) VALUES (?)", text);
      if (this.outboxCount !== null) this.outboxCount++;
      row = [];
      bytes = 2;
    };
    for (const change of changes) {
      const json = JSON.stringify(change);
      const size = utf8Bytes(json) + 1;
      if (row.length && (bytes + size > OUTBOX_ROW_MAX_BYTES || row.length >= OUTBOX_ROW_MAX_CHANGES)) write();
      row.push(json);
      bytes += size;
    }
    write();
  }

  /**
   * The oldest outbox rows that fit one TenantLog call (./bounds.ts): sized in SQLite first, so
   * a backlog is never read into memory whole. At least one row, which the row bounds keep small.
   */
  outbox(): { id: number; changes: DeliveryChange[] }[] {
    if (this.outboxSize() === 0) return [];
    // The cursor steps lazily: sizing stops at the first row that does not fit.
    const sizes = this.sql.exec<{ id: number; bytes: number; n: number }>(
      "SELECT id, octet_length(change) AS bytes, json_array_length(change) AS n FROM outbox ORDER BY id LIMIT ?",
      OUTBOX_ROWS_PER_CALL,
    );
    let bytes = 0;
    let n = 0;
    let last = 0;
    for (const row of sizes) {
      if (n > 0 && (bytes + row.bytes > RECORD_CALL_MAX_BYTES || n + row.n > RECORD_CALL_MAX_CHANGES)) break;
      bytes += row.bytes;
      n += row.n;
      last = row.id;
    }
    return this.sql
      .exec<{ id: number; change: string }>("SELECT id, change FROM outbox WHERE id <= ? ORDER BY id", last)
      .toArray()
      .map((r) => ({ id: r.id, changes: JSON.parse(r.change) as DeliveryChange[] }));
  }

  dropOutbox(ids: number[]) {
    for (const chunk of chunks(ids)) {
      const cursor = this.sql.exec(`DELETE FROM outbox WHERE id IN (${marks(chunk)})`, ...chunk);
      cursor.toArray();
      // outbox has no index: each row written is one entry gone.
      if (this.outboxCount !== null) this.outboxCount -= cursor.rowsWritten;
    }
  }

  /** Counted once per object start, then kept here (only this object writes its outbox). */
  outboxSize(): number {
    this.outboxCount ??= this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
    return this.outboxCount;
  }
}

/**
 * Every statement's `rowsWritten` (what Cloudflare bills) into the row usage counters. A cursor
 * with no columns (a write without RETURNING, DDL) is run to its end here so the count is final;
 * the one RETURNING write (removeMany) counts its own rows; the rest are reads, which write nothing.
 */
function countingSql(sql: SqlStorage): Pick<SqlStorage, "exec"> {
  return {
    exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T> {
      const cursor = sql.exec<T>(query, ...bindings);
      if (cursor.columnNames.length === 0) {
        cursor.toArray();
        countRowsWritten("dispatcher", cursor.rowsWritten);
      }
      return cursor;
    },
  };
}

/** Columns pending gained after v2, with their definitions. */
const ADDED_COLUMNS: [string, string][] = [
  ["trace_id", "TEXT"],
  ["trace_flags", "TEXT"],
  ["lane_n", "INTEGER NOT NULL DEFAULT 0"],
  ["lane_prev", "TEXT"],
  ["lane_epoch", "INTEGER NOT NULL DEFAULT 0"],
];

/**
 * A dispatcher made before trace context or lanes has a pending table without their columns
 * (CREATE TABLE IF NOT EXISTS leaves it as it was): add them once. A read of the table's columns otherwise.
 */
function addColumns(sql: Pick<SqlStorage, "exec">) {
  const have = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('pending')")
      .toArray()
      .map((c) => c.name),
  );
  for (const [column, type] of ADDED_COLUMNS)
    if (!have.has(column)) sql.exec(`ALTER TABLE pending ADD ${column} ${type}`);
}

/** A delivery this object let go: after an attempt in its turn, or withdrawn unsent (with the one before it in its lane). */
interface SettledHere {
  attempted: boolean;
  prev: string | null;
}

/** A lane's state here (./lanes.ts). */
export type LaneRow = {
  key: string;
  /** The run of the lane this state is about, and its last N settled here. */
  epoch: number;
  last_n: number;
  /** Since when its head waits for a delivery before it that was not handed here. */
  waiting_since: number | null;
  /** Where the walk for that delivery goes on (a walk is bounded per run), for the head it began at. */
  walk_head: string | null;
  walk_from: string | null;
  touched_at: number;
};

/** The last N of `head`'s run known settled: a newer run's head counts as after an older run's state. */
function settledBefore(lane: LaneRow | null, head: Pick<PendingRow, "lane_epoch" | "lane_n">): number {
  if (!lane) return 0;
  if (lane.epoch === head.lane_epoch) return lane.last_n;
  return lane.epoch > head.lane_epoch ? head.lane_n : 0;
}

/**
 * A row `p` may go when it has no ordering key, or it heads its lane (first by run, N, arrival),
 * nothing of its lane is in flight, and it is its run's next: N is 0 (not sequenced) or 1, or at
 * most one past the last N settled here (an older run's row, a replay, goes at once). Binds one
 * parameter: now.
 */
const LANE_HEAD = `(p.ordering_key IS NULL OR (
  p.seq = (SELECT q.seq FROM pending q WHERE q.ordering_key = p.ordering_key ORDER BY q.lane_epoch, q.lane_n, q.seq LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM pending q WHERE q.ordering_key = p.ordering_key AND q.lease_until > ?)
  AND (p.lane_n <= 1 OR p.lane_n <= 1 + COALESCE((SELECT CASE WHEN l.epoch = p.lane_epoch THEN l.last_n WHEN l.epoch > p.lane_epoch THEN p.lane_n ELSE 0 END FROM lanes l WHERE l.key = p.ordering_key), 0))))`;

/** One statement per IDS_PER_IN_LIST ids instead of one per id: each storage call has a fixed cost. */
const chunks = <T>(ids: T[]) => chunk(ids, IDS_PER_IN_LIST);

const marks = (ids: readonly unknown[]) => ids.map(() => "?").join(", ");
