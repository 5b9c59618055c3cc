/**
 * TenantLog: one Durable Object per tenant (named by the tenant id) holding that tenant's traffic
 * in its own SQLite: events with their idempotency claims, deliveries, attempts, hourly stats,
 * recover tasks and dead letters. D1 keeps configuration only, so the shared database writes
 * nothing per webhook and each tenant's log grows on its own object.
 *
 * Thin on purpose: callers reach it through ./client.ts with RPC verbs; reads go through the
 * drizzle query builder, the hot writes (ingest, fan-out, outbox) are prepared statements on
 * `ctx.storage.sql` so every cursor's `rowsWritten` is counted (src/lib/row-usage.ts). Each RPC
 * runs synchronously against local storage, and the runtime coalesces the writes of concurrent
 * calls into one durable commit (output gate), so concurrent ingests share one storage flush.
 */

import { DurableObject } from "cloudflare:workers";
import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  type SQL,
  sql,
} from "drizzle-orm";
import { type DrizzleSqliteDODatabase, drizzle } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { firstAttemptId } from "../attempts/first-attempt-id";
import { rollup, UPSERT_STATS, upsertParams } from "../attempts/stats-rollup";
import { headersAsSent } from "../attempts/stored-headers";
import type { SegmentLimits } from "../config";
import { readConfig } from "../config";
import { newIdBeside } from "../db/ids";
import { eventFilterScope } from "../delivery/filter";
import { fingerprintOf } from "../delivery/idempotency";
import { endpointMatches, type RoutableEndpoint } from "../delivery/match";
import { type DeliveryStatus, FINAL_STATUSES } from "../domain/deliveries";
import { fanoutMessage } from "../domain/queue-messages";
import { sweepMessage } from "../domain/sweep";
import { armNoLaterThan } from "../lib/arm-earlier";
import { errorFields, log } from "../lib/log";
import { MultiRowInsert } from "../lib/multi-row-insert";
import { IDS_PER_IN_LIST } from "../lib/platform-limits";
import { armAlarm, asRetention, countRetentionRows, countRowsWritten } from "../lib/row-usage";
import { insertHead, valuesIn } from "../lib/table-insert";
import { attemptDataPoint, writeDataPoints } from "./analytics";
import { attemptById, attemptedInTurn, attemptsOfDelivery, listAttempts } from "./attempt-reads";
import { APPEND_ATTEMPT_ID, settleAttemptsIndex } from "./delivery-attempts";
import { fanOutDeliveryIds, ofEvents, settleEventIndex } from "./event-deliveries";
import { fannedOut, fannedOutAt, needsFanOutMark } from "./fanned-out";
import { FanoutSender } from "./fanout-sender";
import { firstAttemptAssignments, storedAttempt } from "./first-attempt";
import { eventMeta, HANDOFF_PAGE_DELIVERIES, handoffPage, inList, payloadPage } from "./handoff-page";
import { type LaneTailsAnswer, laneTailsBefore } from "./lane-seeding";
import { LANE_CATCHUP_EVENTS, LANE_SEED_KEYS_PER_CALL, LaneBook, type LaneTail } from "./lanes";
import { CARRY_HOUR, endpointTotals, expiredStatsAsCarry, openBacklog, windowTotals } from "./metrics-query";
import { TENANT_LOG_MIGRATIONS } from "./migrations";
import { PendingMarks } from "./pending-marks";
import { type ReplayFilter, replayFilterOf, replayGroups, replayOrigin } from "./replay-query";
import * as schema from "./schema";
import {
  dropped,
  isClosedIn,
  readSegmentRange,
  SEGMENT_CLOSE_BYTES,
  segmentName,
  segmentOfId,
  shardsIn,
} from "./segments";
import { codeClass } from "./status-class";
import { halfDone, recheckDelay, UNFANNED_FROM } from "./sweep-check";
import type {
  AppendInput,
  AppendResult,
  AttemptFilters,
  AttemptRow,
  DeadLetterRow,
  DeliveryChange,
  DeliveryFilters,
  DeliveryRow,
  EndpointTotals,
  EventFilters,
  EventRow,
  FanoutPlan,
  FanoutStep,
  LaneContext,
  LaneLink,
  RecoverItem,
  ReplayCount,
  ReplayPage,
  StatsRow,
  TaskRow,
  TenantMetrics,
  TenantRef,
} from "./types";

const { events, deliveries, tasks, deadLetters } = schema;
type Db = DrizzleSqliteDODatabase<typeof schema>;

const DAY = 24 * 3600_000;
/** Rows one retention step removes per table; the alarm comes back soon while more is left. */
const PURGE_BATCH = 1000;
/** How often the alarm purges by retention when nothing is left to purge right now. */
const RETENTION_EVERY_MS = 3600_000;
const FINAL_SQL = FINAL_STATUSES.map((s) => `'${s}'`).join(", ");

/**
 * Requests one fanOut call matches at most: one fan-out message's worth (src/domain/queue-messages.ts),
 * so a consumer batch of 50 messages for one tenant is 50 bounded calls, not one of 5,000 events.
 */
export const FANOUT_EVENTS_PER_CALL = 100;
/** Endpoints one hourlyStats call reads: the portal charts a page of endpoints at a time. */
export const HOURLY_ENDPOINTS_PER_CALL = 50;
/** Hours hourlyStats reaches back: the portal's longest chart, 7 days. */
export const HOURLY_MAX_HOURS = 7 * 24;
/**
 * Payload bytes one fanOut call reads into memory to run filters (at least one event whole; an
 * ingest body is at most 1 MiB): 4 MiB, far inside an isolate's 128 MB even parsed.
 */
export const FANOUT_MATCH_BYTES = 4 * 1024 * 1024;
/**
 * Deliveries one fanOut call writes (about: an event's deliveries are written whole, so up to one
 * event's endpoints more): one transaction of bounded CPU whatever the endpoints × events.
 */
export const FANOUT_DELIVERIES_PER_CALL = 1000;
/**
 * Deliveries (or events, for a missing replay) one scan step of a replay plan reads: a page of
 * ids, well under a call's CPU; the plan walks such steps until it has counted MAX_REPLAY.
 */
const REPLAY_SCAN_PAGE = 500;

/** Answered (not thrown) when a write names a tenant incarnation this object refuses. */
export const STALE_TENANT = "stale_tenant" as const;
/** Answered (not thrown) by a segment that takes no more events: the writer goes to the next one. */
export const SEGMENT_CLOSED = "segment_closed" as const;
/** A fan-out met a key new to this segment and must be told where the segments are (FanoutStep.needsLanes). */
const NEEDS_LANES = "needs_lanes" as const;

/** Migrates a TenantLog's SQLite to the given (default: newest) version. Exported for the migration test. */
export function migrateTenantLog(db: Db, migrations = TENANT_LOG_MIGRATIONS) {
  return migrate(db, migrations);
}

/**
 * Drops every table of the object's SQLite (the migrations record too). storage.deleteAll()
 * clears the key-value side; the tables are dropped here so a wipe never depends on whether the
 * runtime's deleteAll also removes SQL tables. The runtime's own `_cf_` tables are not ours.
 */
export function dropAllTables(sql: SqlStorage) {
  const names = sql
    .exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
    )
    .toArray();
  for (const { name } of names) {
    const cursor = sql.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
    cursor.toArray();
    // Whatever the runtime reports for a dropped table is billed like any write.
    countRowsWritten("tenant_log", cursor.rowsWritten);
  }
}

/**
 * The segment's size is read once per this many events appended: even if each were as large as the
 * largest request body (1 MB, src/http/body-limit.ts) they would add about 1 GB, and
 * SEGMENT_CLOSE_BYTES (4 GB) leaves 6 GB of the object's 10 GB beside it.
 */
const SIZE_CHECK_EVENTS = 1_000;

export class TenantLog extends DurableObject<Env> {
  private readonly db: Db;
  private readonly sql: SqlStorage;
  /** The incarnation and retention admit() last stored (its alarm armed), so repeat writes skip the reads. */
  private admitted: { incarnation: number; retentionDays: number } | null = null;
  /** When the alarm is set for, as far as this instance knows (null: not known), so armSweep rarely reads it. */
  private alarmAt: number | null = null;
  /** The alarm's sweep checks since the last write that armed one: the re-check backs off. */
  private sweepLooks = 0;
  /** SWEEP_GRACE_S: how old half-done work must be before the sweep drives it again. */
  private readonly sweepGraceMs: number;
  /** Sequenced lanes (./lanes.ts). */
  private readonly lanes: LaneBook;
  /** Where each endpoint's deliveries never attempted start (./pending-marks.ts). */
  private readonly pendingMarks: PendingMarks;
  /** As a segment (./segments.ts): its events so far and when it opened, read once per instance; closed for good once set. */
  private segmentState: { events: number; openedAt: number; closed: boolean; sizeCheckedAt: number } | null = null;

  /** Whether attempts are found by delivery through the attempts_delivery index (./delivery-attempts.ts). */
  private attemptsByIndex = false;
  /** Whether deliveries are found by event through the deliveries_origin index (./event-deliveries.ts). */
  private byEventIndex = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.db = drizzle(ctx.storage, { schema });
    this.sweepGraceMs = readConfig(env).sweepGraceMs;
    this.lanes = new LaneBook(this.sql, (query, ...params) => this.exec(query, ...params));
    this.pendingMarks = new PendingMarks(this.sql, (query, ...params) => this.exec(query, ...params));
    void ctx.blockConcurrencyWhile(() => this.migrate());
  }

  /** A write: runs the statement, consumes the cursor, counts what it wrote. */
  private exec(query: string, ...params: unknown[]): number {
    const cursor = this.sql.exec(query, ...(params as SqlStorageValue[]));
    cursor.toArray();
    countRowsWritten("tenant_log", cursor.rowsWritten);
    return cursor.rowsWritten;
  }

  private getMeta(k: string): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  private setMeta(k: string, v: string) {
    this.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
  }

  /**
   * The object serves one incarnation of its tenant (the tenant row's created_at). A newer one
   * (the tenant was deleted and created again) wipes what an older one left; an older one, or one
   * at or before a deletion's tombstone, is refused, so a write racing a delete cannot revive data.
   */
  private async admit(tenant: TenantRef): Promise<boolean> {
    // The hot path: this object already admitted this incarnation with this retention, and only
    // this object writes its meta (wipe and destroy forget it), so nothing needs reading again.
    if (this.admitted?.incarnation === tenant.incarnation && this.admitted.retentionDays === tenant.retentionDays)
      return true;
    const tombstone = Number(this.getMeta("deleted_incarnation") ?? "-1");
    if (tenant.incarnation <= tombstone) return false;
    const stored = this.getMeta("incarnation");
    if (stored !== null && Number(stored) > tenant.incarnation) return false;
    if (stored !== null && Number(stored) < tenant.incarnation) await this.wipe();
    if (stored === null || Number(stored) !== tenant.incarnation)
      this.setMeta("incarnation", String(tenant.incarnation));
    if (tenant.segment && this.getMeta("segment") === null) {
      this.setMeta("segment", String(tenant.segment.number));
      this.setMeta("shard", String(tenant.segment.shard ?? 0));
      this.setMeta("log_name", tenant.id);
      // A log from before segments is its tenant's segment 0: it opened with its oldest event.
      const oldest = this.sql.exec<{ t: number | null }>("SELECT MIN(created_at) AS t FROM events").one().t;
      this.setMeta("opened_at", String(oldest ?? Date.now()));
    }
    const retention = this.getMeta("retention_days");
    if (retention !== String(tenant.retentionDays)) {
      this.setMeta("retention_days", String(tenant.retentionDays));
      this.setMeta("purge_rows_at", "0"); // a new retention applies at the next alarm run
      // ... which a closed segment may have armed weeks ahead (when its rows pass the old one): now.
      if (retention !== null && (await armNoLaterThan(this.ctx.storage, "tenant_log", Date.now()))) this.alarmAt = null;
    }
    if ((await this.ctx.storage.getAlarm()) === null)
      await armAlarm(this.ctx.storage, "tenant_log", Date.now() + RETENTION_EVERY_MS);
    this.admitted = { incarnation: tenant.incarnation, retentionDays: tenant.retentionDays };
    return true;
  }

  /** Clears the object. `forRetention`: a segment drop, whose dropped tables count as the retention's rows. */
  private async wipe(forRetention = false) {
    this.admitted = null;
    this.segmentState = null;
    this.alarmAt = null;
    await this.ctx.storage.deleteAlarm();
    if (forRetention) asRetention("tenant_log", () => dropAllTables(this.sql));
    else dropAllTables(this.sql);
    await this.ctx.storage.deleteAll();
    await this.migrate();
  }

  /** Brings the SQLite to the newest version and settles how attempts are found by delivery. */
  private async migrate() {
    await migrateTenantLog(this.db);
    this.attemptsByIndex = settleAttemptsIndex(this.sql);
    this.byEventIndex = settleEventIndex(this.sql);
  }

  // ---- ingest ---------------------------------------------------------------------------------

  /**
   * Appends events in one transaction, then queues their fan-out (one message shared with the
   * appends in flight at the same time, ./fanout-sender.ts) before answering. A keyed event claims
   * its idempotency key in the same transaction: a live claim answers the stored event (or a
   * conflict when the body differs).
   */
  async append(
    tenant: TenantRef,
    inputs: AppendInput[],
    now: number,
  ): Promise<AppendResult[] | typeof STALE_TENANT | typeof SEGMENT_CLOSED> {
    if (!(await this.admit(tenant))) return STALE_TENANT;
    if (tenant.segment && this.closes(tenant.segment.limits, inputs.length, now)) return SEGMENT_CLOSED;
    const results = this.ctx.storage.transactionSync(() => {
      const rows = new EventInserts((query, params) => void this.exec(query, ...params));
      const answered = inputs.map((input) => this.appendOne(input, now, rows));
      rows.flush();
      return answered;
    });
    // A repeat whose first fan-out never got queued (the object was reset in between) is queued
    // again; the fan-out is idempotent, so a repeat of a queued event adds nothing.
    const toQueue = results.flatMap((r) =>
      r.kind === "created" || (r.kind === "repeat" && r.event.fannedOutAt === null) ? [r.event.id] : [],
    );
    if (this.segmentState) this.segmentState.events += results.filter((r) => r.kind === "created").length;
    await this.armSweep(now);
    // The events are stored: a queue that refuses the send must not turn their 202 into a 5xx (a
    // producer retrying without a key would store them twice). They stay un-fanned-out, and the
    // path that serves a lost message queues them again (src/jobs/sweep.ts, `unfanned`).
    await this.fanoutSenderFor(tenant.id)
      .queue([...new Set(toQueue)])
      .catch((err) =>
        log.error("fan-out send failed after commit; the sweeper queues it again", {
          tenant_id: tenant.id,
          events: toQueue.length,
          ...errorFields(err),
        }),
      );
    return results;
  }

  /**
   * Whether this segment takes no more events: once it holds any and is as old or as full as the
   * limits say, or its SQLite reached SEGMENT_CLOSE_BYTES, it closes for good (a stored mark, so
   * every writer, whatever its limits or cache, meets the same refusal and moves to the next one).
   * An empty segment always takes a request, so a batch larger than the limit still lands.
   */
  private closes(limits: SegmentLimits, adding: number, now: number): boolean {
    this.segmentState ??= {
      events: this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n,
      openedAt: Number(this.getMeta("opened_at") ?? now),
      closed: this.getMeta("closed_at") !== null,
      sizeCheckedAt: Number.NEGATIVE_INFINITY,
    };
    const state = this.segmentState;
    if (state.closed) return true;
    if (state.events === 0) return false;
    // Reading the database size was 2.8 % of the service's CPU at 100 events/s when asked on every
    // append (a CPU profile of the e2e bench): it is asked once per SIZE_CHECK_EVENTS events.
    const sizeDue = state.events >= state.sizeCheckedAt + SIZE_CHECK_EVENTS;
    if (sizeDue) state.sizeCheckedAt = state.events;
    const full =
      state.events + adding > limits.maxEvents ||
      now - state.openedAt >= limits.maxAgeMs ||
      (sizeDue && this.sql.databaseSize >= SEGMENT_CLOSE_BYTES);
    if (!full) return false;
    this.setMeta("closed_at", String(now));
    state.closed = true;
    return true;
  }

  /**
   * Closes this segment shard for good: another shard of its segment refused an append, and every
   * shard of a segment closes before any writer moves on (./log-segments.ts appendEvents), so a
   * key's claim here is settled before the next segment is used. A stale tenant changes nothing.
   */
  async close(tenant: TenantRef, now: number): Promise<void> {
    if (!(await this.admit(tenant))) return;
    if (this.getMeta("closed_at") === null) this.setMeta("closed_at", String(now));
    if (this.segmentState) this.segmentState.closed = true;
  }

  /** Whether this segment shard holds nothing any more: dropped by retention, or never written. */
  async isDropped(): Promise<boolean> {
    return this.getMeta("dropped_at") !== null || this.getMeta("incarnation") === null;
  }

  /**
   * The live idempotency claims of these keys, with their events, and when this segment closed
   * (null: still open): a writer checks the segments before the current one, back to the first
   * that closed more than a claim's lifetime ago, so a key keeps its event across a rollover.
   */
  async claims(keys: string[], now: number): Promise<{ events: Record<string, EventRow>; closedAt: number | null }> {
    const found: Record<string, EventRow> = {};
    for (const key of keys) {
      const claim = this.sql
        .exec<{ event_id: string; expires_at: number }>(
          "SELECT event_id, expires_at FROM idempotency_keys WHERE key = ?",
          key,
        )
        .toArray()[0];
      if (!claim || claim.expires_at <= now) continue;
      const stored = this.db.select().from(events).where(eq(events.id, claim.event_id)).get();
      if (stored) found[key] = stored;
    }
    const closedAt = this.getMeta("closed_at");
    return { events: found, closedAt: closedAt === null ? null : Number(closedAt) };
  }

  private fanoutSender: FanoutSender | null = null;
  private fanoutSenderFor(tenantId: string): FanoutSender {
    this.fanoutSender ??= new FanoutSender(async (ids) => {
      await this.env.EVENTS_QUEUE.send(fanoutMessage(tenantId, ids), { contentType: "json" });
    });
    return this.fanoutSender;
  }

  private appendOne({ event, fingerprint }: AppendInput, now: number, rows: EventInserts): AppendResult {
    const key = event.idempotencyKey;
    if (key !== null) {
      // A keyed event may repeat one queued just before it in this call: write those first.
      rows.flush();
      const claim = this.sql
        .exec<{ event_id: string; expires_at: number }>(
          "SELECT event_id, expires_at FROM idempotency_keys WHERE key = ?",
          key,
        )
        .toArray()[0];
      if (claim && claim.expires_at > now) {
        const stored = this.db.select().from(events).where(eq(events.id, claim.event_id)).get();
        if (stored) {
          if (fingerprintOf(stored) !== fingerprint) return { kind: "conflict", key };
          return {
            kind: "repeat",
            event: { ...stored, fannedOutAt: fannedOutAt(this.sql, stored, this.byEventIndex) },
          };
        }
      }
      this.exec(
        "INSERT INTO idempotency_keys (key, event_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at",
        key,
        event.id,
        event.createdAt + IDEMPOTENCY_TTL_MS,
      );
    }
    rows.addEvent(event);
    return { kind: "created", event };
  }

  /** A test send (POST .../test): its event and delivery, recorded before the attempt. */
  async insertTest(tenant: TenantRef, event: EventRow, delivery: DeliveryRow): Promise<boolean> {
    if (!(await this.admit(tenant))) return false;
    this.ctx.storage.transactionSync(() => {
      this.db.insert(events).values(event).run();
      this.db.insert(deliveries).values(delivery).run();
    });
    countRowsWritten("tenant_log", 2);
    return true;
  }

  // ---- fan-out --------------------------------------------------------------------------------

  /**
   * Matches the events against the tenant's endpoints and writes the deliveries (idempotent on
   * event + endpoint + origin) in one transaction, marking the events fanned out. Bounded per call
   * whatever the traffic: at most FANOUT_EVENTS_PER_CALL requests, FANOUT_MATCH_BYTES of payloads
   * read for filters and about FANOUT_DELIVERIES_PER_CALL deliveries written; `handled` says how
   * many requests (from the front) it took, and the caller sends the rest again. Answers the first
   * page (./handoff-page.ts) of what is still to be handed to dispatchers: every delivery of the
   * handled events and origins still `pending` (a re-run after a failed hand-off hands the same
   * ones again; dispatchers de-duplicate by delivery id); `next` asks fanOutPage for the rest.
   * Each event's payload is parsed at most once, and read only when an endpoint has a filter.
   */
  async fanOut(
    requests: { eventId: string; origin: string }[],
    endpoints: RoutableEndpoint[],
    now: number,
    lanes?: LaneContext,
  ): Promise<FanoutStep> {
    const slice = requests.slice(0, FANOUT_EVENTS_PER_CALL);
    const filtered = endpoints.some((e) => e.filter !== null && e.filter !== undefined);
    const candidates = filtered ? this.withinMatchBytes(slice) : slice;
    const ids = [...new Set(candidates.map((r) => r.eventId))];
    const byId = new Map(this.eventsFor(ids, filtered).map((e) => [e.id, e]));
    // Keyed events on their first fan-out go in ingest order, after every earlier one of their key.
    const keys = [
      ...new Set(
        candidates.flatMap((r) => {
          const e = byId.get(r.eventId);
          return r.origin === "" && e?.orderingKey && e.fannedOutAt === null ? [e.orderingKey] : [];
        }),
      ),
    ];
    const seeded = await this.seedLanes(keys, endpoints, now, lanes, candidates[0]?.eventId ?? "");
    if (seeded === NEEDS_LANES) return { events: [], deliveries: [], next: null, handled: 0, needsLanes: true };
    const inOrder = this.waitingInOrder(
      keys.filter((k) => !seeded.has(k)),
      byId,
      filtered,
    );
    let handled = 0;
    let caughtUp: EventRow[] = [];
    this.ctx.storage.transactionSync(() => {
      const inserts = this.deliveryInserts();
      const ahead = this.fanOutInOrder(inOrder, endpoints, inserts, now);
      caughtUp = ahead.taken;
      let written = ahead.written;
      for (const r of candidates) {
        // The deliveries bound is checked between events: one event's deliveries are written whole.
        if (handled > 0 && written >= FANOUT_DELIVERIES_PER_CALL) break;
        handled++;
        const event = byId.get(r.eventId);
        if (!event) continue; // purged or never stored: nothing to deliver
        // A keyed first fan-out goes only in ingest order (above); one left out waits (deferred below).
        if (r.origin === "" && event.orderingKey && event.fannedOutAt === null) continue;
        written += this.fanOutEvent(event, r.origin, endpoints, inserts, now);
      }
      inserts.flush();
    });
    const done = candidates.slice(0, handled);
    const deferred = [
      ...new Set(
        done.flatMap((r) => {
          const e = byId.get(r.eventId);
          return r.origin === "" && e?.orderingKey && e.fannedOutAt === null ? [r.eventId] : [];
        }),
      ),
    ];
    await this.armSweep(now);
    // The earlier events of a key taken first are handed over with the rest, not left to their own message.
    const asked = new Set(done.map((r) => r.eventId));
    const extra = caughtUp.filter((e) => !asked.has(e.id)).map((e) => ({ eventId: e.id, origin: "" }));
    const page = this.pendingPage([...done, ...extra], null);
    return { ...page, handled, deferred };
  }

  /** Delivery rows several per statement; a repeat (same event, endpoint and origin) is ignored. */
  private deliveryInserts(): MultiRowInsert {
    return new MultiRowInsert(
      insertHead(deliveries, DELIVERY_INSERT),
      DELIVERY_INSERT.length,
      "ON CONFLICT DO NOTHING",
      (query, params) => void this.exec(query, ...params),
    );
  }

  /**
   * First fan-outs of keyed events, in ingest order, while the call's deliveries stay under
   * FANOUT_DELIVERIES_PER_CALL (at least one event, written whole). Answers the events taken
   * and the deliveries written.
   */
  private fanOutInOrder(
    waiting: EventRow[],
    endpoints: RoutableEndpoint[],
    inserts: MultiRowInsert,
    now: number,
  ): { taken: EventRow[]; written: number } {
    const taken: EventRow[] = [];
    let written = 0;
    for (const event of waiting) {
      if (taken.length > 0 && written >= FANOUT_DELIVERIES_PER_CALL) break;
      taken.push(event);
      written += this.fanOutEvent(event, "", endpoints, inserts, now);
    }
    return { taken, written };
  }

  /**
   * Writes one event's deliveries to the endpoints it matches (a repeat is ignored) and, on its
   * first fan-out, marks it fanned out where no delivery says so (./fanned-out.ts). A keyed event's first fan-out gives each delivery the next
   * place in its lane; any later one keeps the place the first gave (./lanes.ts). Answers how
   * many deliveries it wrote.
   */
  private fanOutEvent(
    event: EventRow,
    origin: string,
    endpoints: RoutableEndpoint[],
    inserts: MultiRowInsert,
    now: number,
  ): number {
    const scope = eventFilterScope(event.type, event.channels ?? [], event.payload);
    const first = origin === "" && event.fannedOutAt === null;
    const kept = event.orderingKey && !first ? this.lanes.placesOf(event.id, this.byEventIndex) : null;
    let written = 0;
    const matched = endpoints.filter((endpoint) => endpointMatches(endpoint, event, scope));
    // Its own fan-out's ids are made from event and endpoint (./event-deliveries.ts): a repeat conflicts.
    const own =
      origin === ""
        ? fanOutDeliveryIds(
            event.id,
            matched.map((e) => e.id),
          )
        : null;
    for (const endpoint of matched) {
      const id = own?.get(endpoint.id) ?? newIdBeside("dlv", event.id, now);
      const place = !event.orderingKey
        ? null
        : first
          ? this.lanes.take(event.orderingKey, endpoint.id, id, now)
          : (kept?.get(endpoint.id) ?? null);
      inserts.add(
        valuesIn(DELIVERY_INSERT, {
          id,
          tenantId: event.tenantId,
          eventId: event.id,
          endpointId: endpoint.id,
          eventType: event.type,
          origin,
          status: "pending",
          attemptCount: 0,
          nextAttemptAt: Math.max(now, event.deliverAt ?? 0),
          createdAt: now,
          updatedAt: now,
          sequence: place?.n ?? null,
          sequencePrev: place?.prev ?? null,
          sequenceEpoch: place?.epoch ?? null,
        }),
      );
      written++;
    }
    if (scope.budget.exhausted) log.warn("filter.budget_exhausted", { tenant_id: event.tenantId, event_id: event.id });
    if (first && needsFanOutMark(event, written)) {
      this.exec("UPDATE events SET fanned_out_at = ? WHERE id = ?", now, event.id);
      event.fannedOutAt = now;
    }
    return written;
  }

  /** Events by id: whole when a filter needs the payload, without it otherwise. */
  private eventsFor(ids: string[], withPayloads: boolean): EventRow[] {
    if (!ids.length) return [];
    return withPayloads ? this.selectEventsByIds(ids) : this.selectEventHeads(ids);
  }

  /**
   * The events of these keys still waiting for their first fan-out, oldest first: at most
   * LANE_CATCHUP_EVENTS, and with filters within FANOUT_MATCH_BYTES of payloads (at least one).
   * Rows already read (`known`) are used as they are, so marking one fanned out shows in both.
   */
  private waitingInOrder(keys: string[], known: Map<string, EventRow>, withPayloads: boolean): EventRow[] {
    let ids = this.lanes.waiting(keys, LANE_CATCHUP_EVENTS);
    if (withPayloads)
      ids = this.withinMatchBytes(ids.map((eventId) => ({ eventId, origin: "" }))).map((r) => r.eventId);
    const fresh = new Map(
      this.eventsFor(
        ids.filter((id) => !known.has(id)),
        withPayloads,
      ).map((e) => [e.id, e]),
    );
    return ids.flatMap((id) => {
      const e = known.get(id) ?? fresh.get(id);
      return e ? [e] : [];
    });
  }

  /**
   * Brings over the lane tails of the keys this shard has not met yet from the segments before it
   * (./lane-seeding.ts), at most LANE_SEED_KEYS_PER_CALL keys a call. Answers the keys whose tails
   * could not be had yet (a segment before still holds more of them than one call fans out, or
   * the call's key bound): their events wait. NEEDS_LANES: the caller must say where the segments
   * are (`lanes`), which only a fan-out that meets a key new to a later segment needs.
   */
  private async seedLanes(
    keys: string[],
    endpoints: RoutableEndpoint[],
    now: number,
    lanes: LaneContext | undefined,
    placedId: string,
  ): Promise<Set<string> | typeof NEEDS_LANES> {
    const missing = this.lanes.unseeded(keys);
    if (!missing.length) return new Set();
    const n = segmentOfId(placedId);
    if (n > 0 && !lanes) return NEEDS_LANES;
    const seeding = missing.slice(0, LANE_SEED_KEYS_PER_CALL);
    const unfinished = new Set(missing.slice(LANE_SEED_KEYS_PER_CALL));
    const found = lanes && n > 0 ? await laneTailsBefore(this.env, lanes, n, seeding, endpoints, now) : null;
    for (const key of found?.unfinished ?? []) unfinished.add(key);
    this.ctx.storage.transactionSync(() =>
      this.lanes.seed(
        seeding.filter((k) => !unfinished.has(k)),
        (found?.tails ?? []).filter((t) => !unfinished.has(t.key)),
      ),
    );
    return unfinished;
  }

  /**
   * For a later segment bringing lanes over (./lane-seeding.ts): the lane tails of these keys as
   * this segment shard ends. With `seed` (the tails as the segment before ended), keys it has
   * not met yet start from those; without, such keys are answered as `unseeded` (and as
   * `holding` where events of them wait here), for the caller to look further back and come back.
   * Before answering it fans out what waits here of the keys it answers (oldest first, one bounded
   * call's worth), so their tails are final; keys with more left come back as `unfinished`. Keys
   * met nowhere here pass a given seed through unwritten. Never calls another object.
   */
  async laneTails(
    keys: string[],
    endpoints: RoutableEndpoint[],
    now: number,
    seed: LaneTail[] | null,
  ): Promise<LaneTailsAnswer> {
    if (this.getMeta("dropped_at") !== null) return { tails: [], unfinished: [], unseeded: [], holding: [] };
    const waiting = new Set(this.lanes.keysWaiting(keys));
    const unseeded = this.lanes.unseeded(keys);
    // Asked without a seed, keys not met here go back to the caller, which looks further back.
    const open = seed === null ? unseeded : [];
    const passThrough = seed === null ? [] : unseeded.filter((k) => !waiting.has(k));
    const toSeed = seed === null ? [] : unseeded.filter((k) => waiting.has(k));
    if (toSeed.length)
      this.ctx.storage.transactionSync(() =>
        this.lanes.seed(
          toSeed,
          (seed ?? []).filter((t) => toSeed.includes(t.key)),
        ),
      );
    const ready = keys.filter((k) => !open.includes(k) && !passThrough.includes(k));
    const filtered = endpoints.some((e) => e.filter !== null && e.filter !== undefined);
    const queue = this.waitingInOrder(ready, new Map(), filtered);
    let taken = 0;
    if (queue.length) {
      this.ctx.storage.transactionSync(() => {
        const inserts = this.deliveryInserts();
        taken = this.fanOutInOrder(queue, endpoints, inserts, now).taken.length;
        inserts.flush();
      });
      await this.armSweep(now);
    }
    // Keys with events still waiting here are not final yet.
    const unfinished = taken ? this.lanes.keysWaiting(ready) : [];
    const final = ready.filter((k) => !unfinished.includes(k));
    return {
      tails: [...this.lanes.tails(final), ...(seed ?? []).filter((t) => passThrough.includes(t.key))],
      unfinished,
      unseeded: open,
      holding: open.filter((k) => waiting.has(k)),
    };
  }

  /**
   * One delivery as a dispatcher waiting for it in a lane needs it: its status and attempts, its
   * place, and what enqueueing it takes. Null: this log does not have it (dropped by retention).
   */
  async laneLink(deliveryId: string): Promise<LaneLink | null> {
    const d = this.db.select().from(deliveries).where(eq(deliveries.id, deliveryId)).get();
    if (!d) return null;
    const meta = eventMeta(this.db, [d.eventId]).get(d.eventId);
    if (!meta) return null;
    const { bytes: _bytes, ...event } = meta;
    // A manual retry goes out of its lane's turn: only another attempt says the lane got this far.
    const inTurn = attemptedInTurn(this.db, d.id, this.attemptsByIndex);
    return {
      id: d.id,
      status: d.status,
      attemptCount: d.attemptCount,
      attemptedInTurn: inTurn,
      place: d.sequence === null ? null : { n: d.sequence, prev: d.sequencePrev, epoch: d.sequenceEpoch ?? 0 },
      event: { ...event, payload: null },
    };
  }

  /** The next page of what fanOut left to hand over (its `next`; "" for the first), for the same requests. */
  async fanOutPage(
    requests: { eventId: string; origin: string }[],
    after: string,
  ): Promise<FanoutPlan & { next: string | null }> {
    return this.pendingPage(requests.slice(0, FANOUT_EVENTS_PER_CALL), after);
  }

  /** The longest prefix of `requests` whose payloads (each event once) fit FANOUT_MATCH_BYTES; at least one. */
  private withinMatchBytes(requests: { eventId: string; origin: string }[]) {
    const meta = eventMeta(this.db, [...new Set(requests.map((r) => r.eventId))]);
    const seen = new Set<string>();
    let bytes = 0;
    let n = 0;
    for (const r of requests) {
      const size = seen.has(r.eventId) ? 0 : (meta.get(r.eventId)?.bytes ?? 0);
      if (n > 0 && bytes + size > FANOUT_MATCH_BYTES) break;
      seen.add(r.eventId);
      bytes += size;
      n++;
    }
    return requests.slice(0, n);
  }

  /** Pending deliveries of these events and origins after `after` (by id), as one bounded page. */
  private pendingPage(
    requests: { eventId: string; origin: string }[],
    after: string | null,
  ): FanoutPlan & { next: string | null } {
    if (!requests.length) return { events: [], deliveries: [], next: null };
    const ids = [...new Set(requests.map((r) => r.eventId))];
    const origins = [...new Set(requests.map((r) => r.origin))];
    // As JSON lists: DO SQLite binds at most 100 parameters.
    const conds = [
      ofEvents(ids, this.byEventIndex),
      inList(deliveries.origin, origins),
      eq(deliveries.status, "pending"),
    ];
    if (after !== null) conds.push(gt(deliveries.id, after));
    const refs = this.db
      .select({ id: deliveries.id, eventId: deliveries.eventId, endpointId: deliveries.endpointId })
      .from(deliveries)
      .where(and(...conds))
      .orderBy(asc(deliveries.id))
      .limit(HANDOFF_PAGE_DELIVERIES + 1)
      .all();
    const { plan, taken } = handoffPage(this.db, refs);
    return { ...plan, next: taken < refs.length ? refs[taken - 1]!.id : null };
  }

  /**
   * Payloads of events by id, for a dispatcher handed a delivery without one: in order, as many
   * as fit PAYLOAD_PAGE_BYTES (at least one); `covered` says how many ids this page answered (an
   * id whose event is gone is answered by its absence). The caller asks again for the rest.
   */
  async payloads(eventIds: string[]): Promise<{ payloads: Record<string, string>; covered: number }> {
    return payloadPage(this.db, eventIds);
  }

  /** Events without their payloads: what matching needs when no endpoint has a filter. */
  private selectEventHeads(ids: string[]): EventRow[] {
    const { payload: _payload, ...columns } = getTableColumns(events);
    return this.db
      .select({ ...columns, payload: sql<string>`''` })
      .from(events)
      .where(inList(events.id, ids))
      .all();
  }

  private selectEventsByIds(ids: string[]): EventRow[] {
    const out: EventRow[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_IN_LIST)
      out.push(
        ...this.db
          .select()
          .from(events)
          .where(inArray(events.id, ids.slice(i, i + IDS_PER_IN_LIST)))
          .all(),
      );
    return out;
  }

  // ---- outcomes (the dispatchers' outbox) -----------------------------------------------------

  /**
   * Attempts, delivery states and stats roll-ups in one transaction. Nothing but a manual success or a recover attempt moves a delivery out of a final
   * state (a late outcome that raced a cancel must not resurrect it).
   */
  async record(changes: DeliveryChange[], now: number): Promise<void> {
    if (!changes.length) return;
    const points: AnalyticsEngineDataPoint[] = [];
    this.ctx.storage.transactionSync(() => {
      // Outcomes of deliveries this log no longer has (tenant deleted, purged) add nothing: no
      // attempt, no status, no stats.
      // Each delivery's status before this batch, so the roll-up counts a delivery once per status
      // it reaches (a manual retry of a succeeded delivery is one more attempt, not one more success).
      const before = new Map<string, string>();
      // Deliveries whose row holds their first attempt already (./first-attempt.ts): a repeat of it adds nothing.
      const hasFirst = new Set<string>();
      const kept = changes.filter((ch) => {
        if (!before.has(ch.delivery.id)) {
          const row = this.sql
            .exec<{ status: string; first: number }>(
              "SELECT status, first_started_at IS NOT NULL AS first FROM deliveries WHERE id = ?",
              ch.delivery.id,
            )
            .toArray()[0];
          if (!row) return false;
          before.set(ch.delivery.id, row.status);
          if (row.first) hasFirst.add(ch.delivery.id);
        }
        return true;
      });
      for (const ch of kept) {
        const a = ch.attempt;
        let written: { sql: string; params: unknown[] } | null = null;
        if (a && a.id === firstAttemptId(ch.delivery.id)) {
          if (!hasFirst.has(ch.delivery.id)) written = firstAttemptAssignments(a, ch.delivery.eventId);
          hasFirst.add(ch.delivery.id);
        } else if (a) {
          const inserted = this.exec(
            `INSERT OR IGNORE INTO attempts (id, delivery_id, tenant_id, endpoint_id, event_id, number, trigger, url, started_at, duration_ms, status_code, response_body, error, error_detail, request_headers)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            a.id,
            ch.delivery.id,
            ch.delivery.tenantId,
            ch.delivery.endpointId,
            ch.delivery.eventId,
            a.number,
            a.trigger,
            ...storedAttempt(a, ch.delivery.eventId),
          );
          if (inserted > 0) written = { sql: APPEND_ATTEMPT_ID, params: [a.id] };
        }
        if (a && written && this.env.DELIVERY_ANALYTICS)
          points.push(attemptDataPoint(ch.delivery, this.eventTypeOf(ch.delivery.id), a));
        this.updateDelivery(ch, now, written);
      }
      for (const i of rollup(kept, now, before)) {
        this.exec(UPSERT_STATS, ...upsertParams(i));
      }
    });
    writeDataPoints(this.env.DELIVERY_ANALYTICS, points);
  }

  private eventTypeOf(deliveryId: string): string {
    return (
      this.sql.exec<{ event_type: string }>("SELECT event_type FROM deliveries WHERE id = ?", deliveryId).toArray()[0]
        ?.event_type ?? ""
    );
  }

  /**
   * One UPDATE of the delivery: its new state, and what records the attempt just made (its row's
   * first attempt, or the id appended to its list: ./first-attempt.ts, ./delivery-attempts.ts).
   * The guard keeps a final state final; the attempt is recorded whatever the guard says, so with
   * an attempt the guard applies per column.
   */
  private updateDelivery(ch: DeliveryChange, now: number, attempt: { sql: string; params: unknown[] } | null) {
    const set: [string, unknown][] = [["updated_at", now]];
    if (ch.status) set.push(["status", ch.status]);
    if (ch.attemptCount !== undefined) set.push(["attempt_count", ch.attemptCount]);
    if (ch.nextAttemptAt !== undefined) set.push(["next_attempt_at", ch.nextAttemptAt]);
    if (ch.attempt)
      set.push(
        ["last_attempt_at", ch.attempt.startedAt],
        ["last_status_code", ch.attempt.statusCode],
        ["last_error", ch.attempt.error],
      );
    // A recover attempt may move a `failed` delivery on: its outcome can land before the task
    // marks the delivery re-queued (the task marks only after the hand-off succeeded).
    const allowed =
      ch.force || !ch.status
        ? null
        : ch.attempt?.trigger === "recover"
          ? "status NOT IN ('succeeded', 'cancelled')"
          : `status NOT IN (${FINAL_SQL})`;
    const values = set.map(([, v]) => v);
    const extra = attempt ? [attempt.sql] : [];
    const extraParams = attempt?.params ?? [];
    if (attempt === null || allowed === null) {
      this.exec(
        `UPDATE deliveries SET ${[...set.map(([c]) => `${c} = ?`), ...extra].join(", ")} WHERE id = ?${allowed ? ` AND ${allowed}` : ""}`,
        ...values,
        ...extraParams,
        ch.delivery.id,
      );
      return;
    }
    this.exec(
      `UPDATE deliveries SET ${[...set.map(([c]) => `${c} = CASE WHEN ${allowed} THEN ? ELSE ${c} END`), ...extra].join(", ")} WHERE id = ?`,
      ...values,
      ...extraParams,
      ch.delivery.id,
    );
  }

  /** Cancels a delivery no dispatcher held (fan-out still in flight). Answers the row. */
  async cancel(deliveryId: string, now: number): Promise<DeliveryRow | null> {
    this.exec(
      `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status NOT IN (${FINAL_SQL})`,
      now,
      deliveryId,
    );
    return this.getDelivery(deliveryId);
  }

  // ---- reads ----------------------------------------------------------------------------------

  async getEvent(id: string): Promise<EventRow | null> {
    const row = this.db.select().from(events).where(eq(events.id, id)).get();
    return row ? { ...row, fannedOutAt: fannedOutAt(this.sql, row, this.byEventIndex) } : null;
  }

  async listEvents(f: EventFilters): Promise<EventRow[]> {
    const conds: SQL[] = [];
    if (f.before) conds.push(lt(events.id, f.before));
    if (f.type) conds.push(eq(events.type, f.type));
    if (f.since !== undefined) conds.push(gte(events.createdAt, f.since));
    if (f.until !== undefined) conds.push(lte(events.createdAt, f.until));
    // channels is a JSON array; json_each keeps the match exact (no substring false positives).
    if (f.channel) conds.push(sql`EXISTS (SELECT 1 FROM json_each(${events.channels}) WHERE value = ${f.channel})`);
    return this.db
      .select()
      .from(events)
      .where(and(...conds))
      .orderBy(desc(events.id))
      .limit(f.limit + 1)
      .all();
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    return this.db.select().from(deliveries).where(eq(deliveries.id, id)).get() ?? null;
  }

  /** A delivery, its attempts (oldest first) and its event, for the detail page and manual retry. */
  async deliveryDetail(
    id: string,
  ): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[]; event: EventRow | null } | null> {
    const delivery = await this.getDelivery(id);
    if (!delivery) return null;
    const list = attemptsOfDelivery(this.db, id, this.attemptsByIndex).map(asSent);
    return { delivery, attempts: list, event: (await this.getEvent(delivery.eventId)) ?? null };
  }

  async listDeliveries(f: DeliveryFilters): Promise<DeliveryRow[]> {
    const conds: SQL[] = [];
    if (f.before) conds.push(lt(deliveries.id, f.before));
    if (f.endpointId) conds.push(eq(deliveries.endpointId, f.endpointId));
    if (f.eventId) conds.push(ofEvents([f.eventId], this.byEventIndex));
    if (f.status) conds.push(eq(deliveries.status, f.status));
    if (f.eventType) conds.push(eq(deliveries.eventType, f.eventType));
    if (f.statusCodeClass) {
      conds.push(codeClass(deliveries.lastStatusCode, f.statusCodeClass));
      // A delivery never attempted has no status code either; "none" means an attempt got no answer.
      if (f.statusCodeClass === "none") conds.push(isNotNull(deliveries.lastAttemptAt));
    }
    if (f.channel) {
      conds.push(
        sql`EXISTS (SELECT 1 FROM ${events}, json_each(${events.channels}) WHERE ${events.id} = ${deliveries.eventId} AND json_each.value = ${f.channel})`,
      );
    }
    if (f.orderingKey !== undefined)
      conds.push(
        sql`EXISTS (SELECT 1 FROM ${events} WHERE ${events.id} = ${deliveries.eventId} AND ${events.orderingKey} = ${f.orderingKey})`,
      );
    if (f.since !== undefined) conds.push(gte(deliveries.createdAt, f.since));
    if (f.until !== undefined) conds.push(lte(deliveries.createdAt, f.until));
    return this.db
      .select()
      .from(deliveries)
      .where(and(...conds))
      .orderBy(desc(deliveries.id))
      .limit(f.limit + 1)
      .all();
  }

  async listAttempts(f: AttemptFilters): Promise<AttemptRow[]> {
    return listAttempts(this.db, f, this.attemptsByIndex).map(asSent);
  }

  async getAttempt(id: string): Promise<AttemptRow | null> {
    const row = attemptById(this.db, id);
    return row ? asSent(row) : null;
  }

  /**
   * The roll-ups from `sinceHour` summed per endpoint, of one endpoint or a page of all (after the
   * endpoint id `after`, at most STATS_ENDPOINTS_PER_CALL): bounded whatever the window.
   */
  async stats(sinceHour: number, opts: { endpointId?: string; after?: string } = {}): Promise<EndpointTotals[]> {
    return windowTotals(this.sql, sinceHour, opts);
  }

  /**
   * The hourly roll-ups of some endpoints from `sinceHour`, for the portal's charts. Bounded by its
   * arguments: at most HOURLY_ENDPOINTS_PER_CALL endpoints and HOURLY_MAX_HOURS hours, so at most
   * 50 × 168 rows (~2 MB) whatever the tenant holds (an RPC answer may be 32 MiB).
   */
  async hourlyStats(sinceHour: number, endpointIds: string[]): Promise<StatsRow[]> {
    if (endpointIds.length > HOURLY_ENDPOINTS_PER_CALL)
      throw new RangeError(`hourlyStats takes at most ${HOURLY_ENDPOINTS_PER_CALL} endpoints`);
    if (!endpointIds.length) return [];
    const from = Math.max(sinceHour, Date.now() - HOURLY_MAX_HOURS * 3600_000);
    return this.db
      .select()
      .from(schema.deliveryStats)
      .where(and(gte(schema.deliveryStats.hour, from), inList(schema.deliveryStats.endpointId, endpointIds)))
      .all();
  }

  /** All-time counters per endpoint, the open backlog and the object's SQLite size, for GET /metrics (reads only). */
  async metrics(): Promise<TenantMetrics> {
    return {
      endpoints: endpointTotals(this.sql),
      backlog: openBacklog(this.sql, this.pendingMarks.counts()),
      storageBytes: this.sql.databaseSize,
    };
  }

  // ---- recover tasks --------------------------------------------------------------------------

  private recoverable(task: Pick<TaskRow, "endpointId" | "windowSince" | "windowUntil">): SQL {
    return and(
      eq(deliveries.endpointId, task.endpointId),
      eq(deliveries.status, "failed"),
      gte(deliveries.createdAt, task.windowSince),
      lte(deliveries.createdAt, task.windowUntil),
      // Only deliveries whose event is still stored can be sent again (retention may have purged it).
      sql`EXISTS (SELECT 1 FROM ${events} WHERE ${events.id} = ${deliveries.eventId})`,
    )!;
  }

  /** Creates a recover task; its total counts the failed deliveries it can send again (at most `max`). */
  async createTask(
    task: Omit<TaskRow, "total" | "cursor" | "handed" | "handedOutAt" | "cancelledAt">,
    max: number,
  ): Promise<TaskRow> {
    const n = this.db.select({ n: count() }).from(deliveries).where(this.recoverable(task)).get()?.n ?? 0;
    const row: TaskRow = {
      ...task,
      total: Math.min(n, max),
      cursor: null,
      handed: 0,
      handedOutAt: n === 0 ? task.createdAt : null,
      cancelledAt: null,
    };
    this.db.insert(tasks).values(row).run();
    countRowsWritten("tenant_log", 1);
    await this.armSweep(task.createdAt);
    return row;
  }

  /** The next page of a task's deliveries to hand over, after its cursor, with their events. */
  async taskPage(
    taskId: string,
    limit: number,
  ): Promise<{ task: TaskRow; items: RecoverItem[]; last: boolean } | null> {
    const task = this.db.select().from(tasks).where(eq(tasks.id, taskId)).get();
    // A replay is handed out by replayPage; this is a recover's page.
    if (task?.kind !== "recover") return null;
    const room = Math.max(0, Math.min(limit, task.total - task.handed));
    if (task.handedOutAt !== null || room === 0) return { task, items: [], last: true };
    const conds = [this.recoverable(task)];
    if (task.cursor) conds.push(gt(deliveries.id, task.cursor));
    const rows = this.db
      .select({ id: deliveries.id, eventId: deliveries.eventId, attemptCount: deliveries.attemptCount })
      .from(deliveries)
      .where(and(...conds))
      .orderBy(asc(deliveries.id))
      .limit(room)
      .all();
    // One page bounded in bytes: payloads inline only while they fit, the rest loaded by id by the dispatcher.
    const { plan, taken } = handoffPage(
      this.db,
      rows.map((r) => ({ id: r.id, eventId: r.eventId, endpointId: task.endpointId })),
    );
    const byId = new Map(plan.events.map((e) => [e.id, e]));
    const lanes = new Map(plan.deliveries.map((d) => [d.id, d.lane ?? null]));
    const items = rows.slice(0, taken).flatMap((r) => {
      const event = byId.get(r.eventId);
      return event ? [{ deliveryId: r.id, attemptCount: r.attemptCount, event, lane: lanes.get(r.id) ?? null }] : [];
    });
    const cut = taken < rows.length;
    return { task, items, last: !cut && (rows.length < room || task.handed + rows.length >= task.total) };
  }

  /**
   * Marks a page as handed over, after the dispatcher took it: links the deliveries to the task,
   * moves those still `failed` with the same attempt count (their recover attempt has not been
   * recorded yet) to `pending_retry`, and advances the cursor. `last` closes the hand-out.
   */
  async taskHanded(
    taskId: string,
    handed: { deliveryId: string; attemptCount: number }[],
    cursor: string | null,
    last: boolean,
    now: number,
  ): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const h of handed) {
        this.exec("UPDATE deliveries SET task_id = ? WHERE id = ?", taskId, h.deliveryId);
        this.exec(
          "UPDATE deliveries SET status = 'pending_retry', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'failed' AND attempt_count = ?",
          now,
          now,
          h.deliveryId,
          h.attemptCount,
        );
      }
      this.exec(
        `UPDATE tasks SET cursor = COALESCE(?, cursor), handed = handed + ?, updated_at = ?, handed_out_at = CASE WHEN ? THEN ? ELSE handed_out_at END,
           total = CASE WHEN ? THEN handed + ? ELSE total END WHERE id = ?`,
        cursor,
        handed.length,
        now,
        last ? 1 : 0,
        now,
        last ? 1 : 0,
        handed.length,
        taskId,
      );
    });
  }

  // ---- replays (./replay-query.ts) -------------------------------------------------------------

  /**
   * What a replay sends from this segment, in its order, at most `max`: counts per endpoint and
   * source status. The plan (dry run) and createReplay count with this one walk, so a run sends
   * what its plan said. Scans in pages of REPLAY_SCAN_PAGE.
   */
  async replayPlan(
    f: ReplayFilter,
    endpoints: RoutableEndpoint[],
    max: number,
    now: number,
  ): Promise<{ counts: ReplayCount[]; more: boolean }> {
    return this.countReplay(f, endpoints, replayOrigin(""), max, now);
  }

  /** `more`: the walk found deliveries beyond `max` (the replay leaves them out). */
  private countReplay(
    f: ReplayFilter,
    endpoints: RoutableEndpoint[],
    origin: string,
    max: number,
    now: number,
  ): { counts: ReplayCount[]; more: boolean } {
    const counts = new Map<string, ReplayCount>();
    let n = 0;
    let more = false;
    for (let after: string | null = null; !more; ) {
      const { groups, done } = replayGroups(
        this.sql,
        this.byEventIndex,
        f,
        endpoints,
        origin,
        after,
        REPLAY_SCAN_PAGE,
        now,
      );
      for (const item of groups.flatMap((g) => g.items)) {
        if (n >= max) {
          more = true;
          break;
        }
        const key = `${item.endpointId} ${item.status}`;
        const c =
          counts.get(key) ?? counts.set(key, { endpointId: item.endpointId, status: item.status, count: 0 }).get(key)!;
        c.count++;
        n++;
      }
      if (done || !groups.length) break;
      after = groups.at(-1)!.key;
    }
    return { counts: [...counts.values()], more };
  }

  /** Creates a replay task here; its total is what replayPlan counts now (at most `max`). Answers the row and the counts. */
  async createReplay(
    task: Omit<TaskRow, "total" | "cursor" | "handed" | "handedOutAt" | "cancelledAt">,
    f: ReplayFilter,
    endpoints: RoutableEndpoint[],
    max: number,
  ): Promise<{ task: TaskRow; counts: ReplayCount[] }> {
    const { counts } = this.countReplay(f, endpoints, replayOrigin(task.id), max, task.createdAt);
    const total = counts.reduce((n, c) => n + c.count, 0);
    const row: TaskRow = {
      ...task,
      total,
      cursor: null,
      handed: 0,
      handedOutAt: total === 0 ? task.createdAt : null,
      cancelledAt: null,
    };
    this.db.insert(tasks).values(row).run();
    countRowsWritten("tenant_log", 1);
    if (total > 0) await this.armSweep(task.createdAt);
    return { task: row, counts };
  }

  /**
   * The next page of a replay: writes its deliveries (`pending`, linked to the task; a repeat of one
   * is ignored) and moves the cursor past them in one transaction, then answers them as hand-off
   * pages (./handoff-page.ts). A hand-off that fails after this leaves them `pending`, and the
   * sweep hands them again like any delivery whose hand-off was lost. At most about `limit`
   * deliveries (a missing event's go whole). Null: no such replay here.
   */
  async replayPage(
    taskId: string,
    endpoints: RoutableEndpoint[],
    limit: number,
    now: number,
  ): Promise<ReplayPage | null> {
    const task = this.db.select().from(tasks).where(eq(tasks.id, taskId)).get();
    if (task?.kind !== "replay") return null;
    if (task.handedOutAt !== null || task.cancelledAt !== null) return { plans: [], written: 0, last: true };
    const room = task.total - task.handed;
    const f = replayFilterOf(task);
    const { groups, done } =
      room > 0
        ? replayGroups(
            this.sql,
            this.byEventIndex,
            f,
            endpoints,
            replayOrigin(taskId),
            task.cursor,
            Math.min(limit, room),
            now,
          )
        : { groups: [], done: true };
    const items = groups.flatMap((g) => g.items).slice(0, Math.max(0, room));
    const refs: { id: string; eventId: string; endpointId: string }[] = [];
    const origin = f.mode === "retry" ? replayOrigin(taskId) : "";
    this.ctx.storage.transactionSync(() => {
      for (const item of items) {
        const id = newIdBeside("dlv", item.eventId, now);
        // A retried delivery keeps its lane place; a missing one was never in the endpoint's lane.
        const place =
          f.mode === "retry" ? this.lanes.placesOf(item.eventId, this.byEventIndex).get(item.endpointId) : undefined;
        const cursor = this.sql.exec(
          `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, origin, status, task_id, attempt_count, next_attempt_at, created_at, updated_at, sequence, sequence_prev, sequence_epoch)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
          id,
          task.tenantId,
          item.eventId,
          item.endpointId,
          item.eventType,
          origin,
          taskId,
          now,
          now,
          now,
          place?.n ?? null,
          place?.prev ?? null,
          place?.epoch ?? null,
        );
        if (cursor.toArray().length) refs.push({ id, eventId: item.eventId, endpointId: item.endpointId });
        countRowsWritten("tenant_log", cursor.rowsWritten);
      }
      const handed = task.handed + refs.length;
      const last = done || items.length === 0 || task.handed + items.length >= task.total;
      this.exec(
        `UPDATE tasks SET cursor = COALESCE(?, cursor), handed = ?, updated_at = ?, handed_out_at = CASE WHEN ? THEN ? ELSE handed_out_at END,
           total = CASE WHEN ? THEN ? ELSE total END WHERE id = ?`,
        groups.at(-1)?.key ?? null,
        handed,
        now,
        last ? 1 : 0,
        now,
        last ? 1 : 0,
        handed,
        taskId,
      );
      task.handedOutAt = last ? now : null;
    });
    if (task.handedOutAt === null) await this.armSweep(now);
    const plans = [];
    for (let rest = refs; rest.length; ) {
      const { plan, taken } = handoffPage(this.db, rest);
      plans.push(plan);
      rest = rest.slice(Math.max(1, taken));
    }
    return { plans, written: refs.length, last: task.handedOutAt !== null };
  }

  /** Whether the task was cancelled: a run that just handed a page withdraws it again if so. */
  async taskCancelled(taskId: string): Promise<boolean> {
    return (
      (this.db.select({ at: tasks.cancelledAt }).from(tasks).where(eq(tasks.id, taskId)).get()?.at ?? null) !== null
    );
  }

  /**
   * Cancels a task here (a replay or a recover): no page is handed out after this, and every
   * delivery it handed that is not final yet becomes `cancelled`. Answers those deliveries, so the
   * caller withdraws them from their dispatchers; null when the task is not here. At most the
   * task's total (MAX_REPLAY, MAX_RECOVER) rows, in one transaction.
   */
  async cancelTask(taskId: string, now: number): Promise<{ id: string; endpointId: string }[] | null> {
    const task = this.db.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, taskId)).get();
    if (!task) return null;
    return this.ctx.storage.transactionSync(() => {
      this.exec(
        "UPDATE tasks SET cancelled_at = COALESCE(cancelled_at, ?), handed_out_at = COALESCE(handed_out_at, ?), updated_at = ? WHERE id = ?",
        now,
        now,
        now,
        taskId,
      );
      const open = this.sql
        .exec<{ id: string; endpoint_id: string }>(
          `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = ? WHERE task_id = ? AND status NOT IN (${FINAL_SQL}) RETURNING id, endpoint_id`,
          now,
          taskId,
        )
        .toArray();
      countRowsWritten("tenant_log", open.length);
      return open.map((r) => ({ id: r.id, endpointId: r.endpoint_id }));
    });
  }

  /** A task and how many of its deliveries have finished since. */
  async getTask(taskId: string): Promise<{ task: TaskRow; done: number } | null> {
    const task = this.db.select().from(tasks).where(eq(tasks.id, taskId)).get();
    if (!task) return null;
    const done =
      this.db
        .select({ n: count() })
        .from(deliveries)
        .where(and(eq(deliveries.taskId, task.id), inArray(deliveries.status, [...FINAL_STATUSES])))
        .get()?.n ?? 0;
    return { task, done };
  }

  /** Tasks whose hand-out stopped (a failed hand-off, an isolate that died) before `before`. */
  async stalledTasks(before: number, limit: number): Promise<string[]> {
    return this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(isNull(tasks.handedOutAt), lt(tasks.updatedAt, before)))
      .limit(limit)
      .all()
      .map((t) => t.id);
  }

  // ---- the sweeper's questions ----------------------------------------------------------------

  /** Events written before `before` whose fan-out never completed. */
  async unfanned(before: number, limit: number): Promise<string[]> {
    return this.db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          gte(events.id, this.getMeta(UNFANNED_FROM) ?? ""),
          sql.raw(`NOT ${fannedOut("events", this.byEventIndex)}`),
          lt(events.createdAt, before),
        ),
      )
      .orderBy(events.id)
      .limit(limit)
      .all()
      .map((e) => e.id);
  }

  /**
   * Deliveries still `pending` (never attempted) that were created before `before`: their
   * hand-off may have failed. Answers them with their events, as one page bounded in bytes
   * (./handoff-page.ts): at most `limit` deliveries, fewer when their events are large.
   */
  async orphans(before: number, limit: number, endpointIds: string[]): Promise<FanoutPlan> {
    if (!endpointIds.length) return { events: [], deliveries: [] };
    // Only the given (active) endpoints: a disabled endpoint's held deliveries stay `pending`
    // for as long as it is disabled, and must not fill every page of this question.
    const rows = this.pendingMarks.older(before, endpointIds, Math.min(limit, HANDOFF_PAGE_DELIVERIES));
    return handoffPage(this.db, rows).plan;
  }

  // ---- dead letters ---------------------------------------------------------------------------

  async addDeadLetters(rows: DeadLetterRow[]): Promise<void> {
    await this.armSweep(Date.now());
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        this.exec(
          "INSERT OR IGNORE INTO dead_letters (id, queue, kind, body, attempts, redrives, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          r.id,
          r.queue,
          r.kind,
          r.body,
          r.attempts,
          r.redrives,
          r.createdAt,
        );
      }
    });
  }

  async listDeadLetters(f: { limit: number; before?: string; maxRedrives?: number }): Promise<DeadLetterRow[]> {
    // Re-driven ones are done: they stay only to answer a repeated re-drive.
    const conds: SQL[] = [isNull(deadLetters.redrivenAt)];
    if (f.before) conds.push(lt(deadLetters.id, f.before));
    if (f.maxRedrives !== undefined)
      conds.push(lt(deadLetters.redrives, f.maxRedrives), sql`${deadLetters.kind} <> 'unknown'`);
    return this.db
      .select()
      .from(deadLetters)
      .where(and(...conds))
      .orderBy(desc(deadLetters.id))
      .limit(f.limit + 1)
      .all();
  }

  /** Marks dead letters re-driven once their messages are back on the queue (purged with retention). */
  async markDeadLettersRedriven(ids: string[], now: number): Promise<number> {
    let n = 0;
    this.ctx.storage.transactionSync(() => {
      for (const id of ids)
        n +=
          this.exec("UPDATE dead_letters SET redriven_at = ? WHERE id = ? AND redriven_at IS NULL", now, id) > 0
            ? 1
            : 0;
    });
    return n;
  }

  async getDeadLetter(id: string): Promise<DeadLetterRow | null> {
    return this.db.select().from(deadLetters).where(eq(deadLetters.id, id)).get() ?? null;
  }

  // ---- retention and deletion -----------------------------------------------------------------

  /** A changed retention_days (PATCH on the tenant) takes effect at the next alarm run. */
  async configure(tenant: TenantRef): Promise<boolean> {
    return this.admit(tenant);
  }

  /**
   * Purges by the tenant's retention_days in bounded steps; comes back soon while more is left.
   * `rows` false leaves the traffic tables (their time columns have no index, so a step that finds
   * nothing reads the whole table) and purges only the small ones.
   */
  async purge(
    now: number,
    rows = true,
  ): Promise<{ attempts: number; deliveries: number; events: number; idempotency_keys: number; more: boolean }> {
    // What the purge deletes and folds is the retention's cost (src/lib/row-usage.ts).
    return asRetention("tenant_log", () => {
      const days = Number(this.getMeta("retention_days") ?? "30");
      const cutoff = now - days * DAY;
      const stepKeyed = (table: string, key: string, column: string, before: number) =>
        rows
          ? this.exec(
              `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${column} < ? LIMIT ${PURGE_BATCH})`,
              before,
            )
          : 0;
      const removed = {
        attempts: stepKeyed("attempts", "id", "started_at", cutoff),
        deliveries: stepKeyed("deliveries", "id", "created_at", cutoff),
        events: stepKeyed("events", "id", "created_at", cutoff),
        idempotency_keys: stepKeyed("idempotency_keys", "key", "expires_at", now),
      };
      // Expired roll-ups are folded into each endpoint's carry row first: the all-time counters of
      // GET /metrics must never go down. One carry row per endpoint, written once per purge run.
      this.ctx.storage.transactionSync(() => {
        for (const i of expiredStatsAsCarry(this.sql, cutoff)) this.exec(UPSERT_STATS, ...upsertParams(i));
        this.exec("DELETE FROM delivery_stats WHERE hour > ? AND hour < ?", CARRY_HOUR, cutoff);
      });
      this.exec("DELETE FROM dead_letters WHERE redriven_at < ?", cutoff);
      const more = Object.values(removed).some((n) => n >= PURGE_BATCH);
      return { ...removed, more };
    });
  }

  /**
   * Retention, and the sweep check: if anything half-done is older than the grace, one message asks
   * the sweep queue for this log's sweep (src/domain/sweep.ts); while anything is half-done the
   * alarm looks again (after the grace, backing off to an hour), otherwise only retention brings
   * it back. Never throws: a failed send is asked again at the next look.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    const next: number[] = [];
    const segment = this.getMeta("segment");
    if (segment !== null && this.getMeta("closed_at") !== null && this.getMeta("incarnation") !== null) {
      // A closed segment is never purged row by row: retention drops it whole. Until its newest
      // row passes the retention it sleeps (one alarm, not one an hour: each is a row written);
      // a write that makes a row newer moves that time on, and this run then sleeps again.
      const drop = await this.dropIfExpired(now, Number(segment));
      if (!drop.dropped) next.push(Math.max(now + RETENTION_EVERY_MS, drop.expiresAt ?? 0));
    } else if (this.getMeta("incarnation") !== null) {
      // An operator log, or the segment still taking events: with segments of a day (the default)
      // its rows pass the retention only when the tenant stopped writing for that long.
      // The traffic tables at most hourly (each step may read them whole), the small ones every run.
      const rowsDue = now >= Number(this.getMeta("purge_rows_at") ?? "0");
      const { more } = await this.purge(now, rowsDue);
      if (rowsDue)
        asRetention("tenant_log", () => this.setMeta("purge_rows_at", String(more ? now : now + RETENTION_EVERY_MS)));
      next.push(now + (more ? 1000 : RETENTION_EVERY_MS));
    }
    const from = this.getMeta(UNFANNED_FROM) ?? "";
    const half = halfDone(
      this.sql,
      now - this.sweepGraceMs,
      from,
      this.pendingMarks.settle(now - this.sweepGraceMs, from),
      this.byEventIndex,
    );
    if (half.unfannedFrom > from) this.setMeta(UNFANNED_FROM, half.unfannedFrom);
    if (half.due) await this.askForSweep();
    if (half.open) next.push(now + recheckDelay(this.sweepGraceMs, this.sweepLooks++));
    if (!next.length) return;
    this.alarmAt = Math.min(...next);
    await armAlarm(this.ctx.storage, "tenant_log", this.alarmAt);
  }

  /**
   * Retention for a segment: once it is closed, the tenant has moved on to a later one, and its
   * newest row (event, delivery change, attempt, task, dead letter) is older than the retention, the
   * whole segment goes (deleteAll: no row-by-row deletes, so no rows written per row dropped). Its
   * all-time counters move to the next segment's carry rows first, so GET /metrics never goes down.
   * Answers whether it dropped and, when its rows are too young, when the newest passes the retention.
   */
  private async dropIfExpired(now: number, n: number): Promise<{ dropped: boolean; expiresAt: number | null }> {
    const kept = (expiresAt: number | null = null) => ({ dropped: false, expiresAt });
    if (this.getMeta("closed_at") === null) return kept();
    const retentionMs = Number(this.getMeta("retention_days") ?? "30") * DAY;
    const cutoff = now - retentionMs;
    const newest = this.sql
      .exec<{ t: number | null }>(
        `SELECT MAX(t) AS t FROM (SELECT MAX(created_at) AS t FROM events UNION ALL SELECT MAX(updated_at) FROM deliveries
           UNION ALL SELECT MAX(started_at) FROM attempts UNION ALL SELECT MAX(updated_at) FROM tasks UNION ALL SELECT MAX(created_at) FROM dead_letters)`,
      )
      .one().t;
    if (newest !== null && newest >= cutoff) return kept(newest + retentionMs + 1);
    const logName = this.getMeta("log_name");
    const range = logName === null ? null : await readSegmentRange(this.env.DB, logName);
    if (logName === null || range === null || !isClosedIn(range, n)) return kept();
    const shard = Number(this.getMeta("shard") ?? "0");
    const incarnation = Number(this.getMeta("incarnation"));
    const retentionDays = Number(this.getMeta("retention_days") ?? "30");
    const carry = endpointTotals(this.sql);
    if (carry.length) await this.env.TENANT_LOG.getByName(segmentName(logName, n + 1)).absorbCarry(incarnation, carry);
    await this.wipe(true);
    // What stays: who it was and that it is closed, so a late append moves on instead of reopening it.
    asRetention("tenant_log", () => {
      this.setMeta("incarnation", String(incarnation));
      this.setMeta("retention_days", String(retentionDays));
      this.setMeta("segment", String(n));
      this.setMeta("shard", String(shard));
      this.setMeta("log_name", logName);
      this.setMeta("closed_at", String(now));
      this.setMeta("dropped_at", String(now));
    });
    // Readers move past the segment only once every shard of it is gone (a shard's rows may be
    // newer than another's); the last to drop moves it. Two last ones racing both wait, and the
    // next segment's drop moves past this one too (dropped() never moves back).
    const k = shardsIn(range.shards, n);
    const siblings = Array.from({ length: k }, (_, j) => j).filter((j) => j !== shard);
    const others = await Promise.all(
      siblings.map((j) => this.env.TENANT_LOG.getByName(segmentName(logName, n, j)).isDropped()),
    );
    if (others.every(Boolean)) countRetentionRows("d1", await dropped(this.env.DB, logName, n));
    log.info("tenant_log.segment_dropped", { tenant_id: logName, segment: n });
    return { dropped: true, expiresAt: null };
  }

  /** All-time counters of a dropped earlier segment, added to this one's carry rows (GET /metrics). */
  async absorbCarry(incarnation: number, totals: EndpointTotals[]): Promise<void> {
    const stored = this.getMeta("incarnation");
    if (stored !== null && Number(stored) !== incarnation) return;
    const tenantId = this.getMeta("log_name") ?? "";
    // Only a segment drop sends these: the retention's rows.
    asRetention("tenant_log", () =>
      this.ctx.storage.transactionSync(() => {
        for (const t of totals) this.exec(UPSERT_STATS, ...upsertParams({ ...t, tenantId, hour: CARRY_HOUR }));
      }),
    );
  }

  /**
   * After a write that may leave something half-done (events to fan out, deliveries to hand over,
   * a recover task, a dead letter): the alarm looks within the grace. Free when it already will;
   * otherwise one setAlarm.
   */
  private async armSweep(now: number) {
    this.sweepLooks = 0;
    const by = now + this.sweepGraceMs;
    if (this.alarmAt !== null && this.alarmAt <= by) return;
    const current = await this.ctx.storage.getAlarm();
    this.alarmAt = current !== null && current <= by ? current : by;
    if (this.alarmAt === by) await armAlarm(this.ctx.storage, "tenant_log", by);
    // Kept for an alarm run that does not know the name the object was reached by.
    const name = this.ctx.id.name;
    if (name && this.getMeta("name") !== name) this.setMeta("name", name);
  }

  private async askForSweep() {
    // The name the object was reached by: the tenant id, or an operator log's name.
    const name = this.ctx.id.name ?? this.getMeta("name");
    if (!name) {
      log.error("sweep: a TenantLog without a name cannot ask for its sweep");
      return;
    }
    try {
      await this.env.SWEEP_QUEUE.send(sweepMessage(name), { contentType: "json" });
    } catch (err) {
      log.error("sweep: asking for a sweep failed; asked again at the next look", {
        tenant_id: name,
        ...errorFields(err),
      });
    }
  }

  /**
   * The tenant is being deleted: every row goes, and one tombstone row stays so a write of that
   * incarnation still in flight is refused instead of reviving the tenant's data.
   */
  async destroy(incarnation: number): Promise<void> {
    await this.wipe();
    this.setMeta("deleted_incarnation", String(incarnation));
  }

  /** Row counts per table (attempts: every attempt held, in either place), for tests and operators. */
  async sizes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of [
      "events",
      "idempotency_keys",
      "deliveries",
      "attempts",
      "delivery_stats",
      "tasks",
      "dead_letters",
      "meta",
    ]) {
      out[t] = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).one().n;
    }
    // Attempts held, wherever they are: first attempts live in their delivery's row (./first-attempt.ts).
    out.attempts! += this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM deliveries WHERE first_started_at IS NOT NULL")
      .one().n;
    return out;
  }
}

export const IDEMPOTENCY_TTL_MS = DAY;

export type { DeliveryStatus };

/** The columns a fan-out writes of a new delivery (src/lib/table-insert.ts). */
/** An attempt row with the request headers it sent (they are stored without four: src/attempts/stored-headers.ts). */
const asSent = (row: AttemptRow): AttemptRow => ({ ...row, requestHeaders: headersAsSent(row.requestHeaders, row) });

export const DELIVERY_INSERT = [
  "id",
  "sequence",
  "sequencePrev",
  "sequenceEpoch",
  "tenantId",
  "eventId",
  "endpointId",
  "eventType",
  "origin",
  "status",
  "attemptCount",
  "nextAttemptAt",
  "createdAt",
  "updatedAt",
] as const satisfies readonly (keyof typeof deliveries.$inferInsert)[];

/** The columns an ingest writes of a new event. */
export const EVENT_INSERT = [
  "id",
  "tenantId",
  "type",
  "payload",
  "channels",
  "orderingKey",
  "deliverAt",
  "expiresAt",
  "idempotencyKey",
  "createdAt",
  "traceId",
  "traceFlags",
] as const satisfies readonly (keyof typeof events.$inferInsert)[];

/** Event rows several per statement (src/lib/multi-row-insert.ts), in the order they came. */
class EventInserts extends MultiRowInsert {
  constructor(run: (query: string, params: unknown[]) => void) {
    super(insertHead(events, EVENT_INSERT), EVENT_INSERT.length, "", run);
  }

  addEvent(event: EventRow) {
    this.add(
      valuesIn(EVENT_INSERT, {
        ...event,
        channels: event.channels ? JSON.stringify(event.channels) : null,
        traceId: event.traceId ?? null,
        traceFlags: event.traceFlags ?? null,
      }),
    );
  }
}
