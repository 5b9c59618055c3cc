/**
 * EndpointDispatcher: one Durable Object per endpoint. It owns that endpoint's pending deliveries
 * in its own SQLite and runs them from a single alarm set at the earliest due time: first attempts,
 * the retry ladder, the rate limit and in-flight cap, ordering lanes and the circuit breaker.
 * One per endpoint means a dead receiver only ever occupies its own dispatcher.
 *
 * The DO is thin: the ladder, health and signing live in src/delivery; log writes go through an
 * outbox (to the tenant's TenantLog) so a failed write never loses an outcome and never makes an attempt run twice.
 */
import { DurableObject } from "cloudflare:workers";
import { CONNECTIONS_PER_INVOCATION, ConnectionSlots } from "../attempts/connection-slots";
import { deploymentDefaults } from "../attempts/deployment-defaults";
import { type EndpointSnapshot, resolveEndpoint } from "../attempts/endpoint-snapshot";
import type { DeliveryChange } from "../attempts/record";
import { type AttemptResult, sendAttempt } from "../attempts/send-attempt";
import { readConfig } from "../config";
import { attemptBudget } from "../delivery/health";
import { type DisableReason, decideOutcome, mergeDisable } from "../delivery/outcome";
import type { RetryPolicy } from "../delivery/retry-policy";
import type { AttemptTrigger } from "../domain/deliveries";
import { errorFields, log } from "../lib/log";
import { armAlarm, asRetention } from "../lib/row-usage";
import { recordChanges } from "../tenant-log/client";
import type { LanePlace } from "../tenant-log/lanes";
import { CANCEL_PAGE, CANCEL_PAGES_PER_RUN, FLUSH_CALLS_PER_RUN } from "./bounds";
import type { EnqueueItem } from "./client";
import { type Clock, systemClock } from "./clock";
import { LANE_GAP_WAIT_MS, LANE_IDLE_MS, LANE_WALK_RETRY_MS, walkWaitingLanes } from "./lanes";
import { PAYLOAD_BY_ID, withPayloads } from "./payloads";
import { RETENTION_CHECK_EVERY_MS, RETENTION_WAKE_MS, tenantRetentionMs } from "./retention";
import { type OperationalSignal, onEndpointDisabledByReceiver, onOperationalSignals } from "./signals";
import { DispatcherStore, type HeldRef, type PendingRow } from "./storage";

/** Without an explicit max_in_flight, this many attempts run at once per endpoint. */
const DEFAULT_CONCURRENCY = 20;
/**
 * How long one alarm run may spend on attempts: alarm handlers are cut at 15 minutes of wall time
 * (Durable Objects limits); a third of it leaves room for settling and the next run's lease.
 */
const RUN_WALL_MS = 5 * 60_000;

/** Attempts one run takes on: as many waves of 6 as fit RUN_WALL_MS at the endpoint's timeout. */
const attemptsPerRun = (timeoutMs: number) =>
  CONNECTIONS_PER_INVOCATION * Math.max(1, Math.floor(RUN_WALL_MS / timeoutMs));

/** Extra time past the attempt timeout before a lease is considered abandoned. */
const LEASE_MARGIN_MS = 30_000;
/** How soon to retry flushing the outbox when the TenantLog refused a write. */
const OUTBOX_RETRY_MS = 5_000;

export class EndpointDispatcher extends DurableObject<Env> {
  private readonly store: DispatcherStore;
  /** The time and the jitter (./clock.ts): the system's, or one a test injects and drives. */
  private clock: Clock = systemClock;
  private recentStarts: number[] = [];
  /** The last outbox flush failed: the next one waits OUTBOX_RETRY_MS instead of running at once. */
  private flushFailed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DispatcherStore(ctx.storage.sql, () => this.now());
  }

  /** Replaces the clock (tests, through runInDurableObject: a clock is a function, not an RPC value). */
  useClock(clock: Clock) {
    this.clock = clock;
  }

  /** Whether the object still runs on the system clock (a fresh instance after an eviction does). */
  get onSystemClock(): boolean {
    return this.clock === systemClock;
  }

  now(): number {
    return this.clock.now();
  }

  /** Keeps the newest endpoint snapshot; re-arms the alarm (e.g. after the endpoint is enabled). */
  async configure(snapshot: EndpointSnapshot): Promise<void> {
    const current = this.store.endpoint;
    if (!current || snapshot.version >= current.version) this.store.endpoint = snapshot;
    await this.arm();
  }

  /** Adds deliveries (idempotent on delivery id) and wakes the alarm. Answers how many were new. */
  async enqueue(snapshot: EndpointSnapshot, items: EnqueueItem[]): Promise<number> {
    const current = this.store.endpoint;
    if (!current || snapshot.version >= current.version) this.store.endpoint = snapshot;
    const now = this.now();
    // A first attempt that can go out in the next run is held in memory, not written (./fresh-hold.ts).
    const endpoint = this.store.endpoint;
    const goesAtOnce = endpoint?.status === "active" && !this.store.health.breakerOpen && !this.store.forgotten;
    const added = this.store.insertPending(
      items.map((i) => ({
        delivery_id: i.deliveryId,
        tenant_id: i.tenantId,
        event_id: i.eventId,
        event_type: i.eventType,
        event_created_at: i.eventCreatedAt,
        payload: i.payload ?? PAYLOAD_BY_ID,
        ordering_key: i.orderingKey,
        expires_at: i.expiresAt,
        attempts: i.attempts ?? 0,
        due_at: Math.max(now, i.deliverAt ?? 0),
        trigger: i.trigger ?? "scheduled",
        trace_id: i.traceId ?? null,
        trace_flags: i.traceFlags ?? null,
        ...laneColumns(i.lane),
      })),
      goesAtOnce,
    );
    // A keyed delivery handed before the one ahead of it in its lane makes the lane wait (./lanes.ts).
    const keys = new Set(items.flatMap((i) => (i.orderingKey && (i.lane?.n ?? 0) > 1 ? [i.orderingKey] : [])));
    if (keys.size) this.store.checkLanes([...keys], now);
    // What a hand-off adds can only move the wake earlier: an alarm already set as early stays.
    await this.arm({ noLater: true });
    return added;
  }

  /**
   * The endpoint was deleted: cancel what it held and clear the storage. Durable first (the mark),
   * then in bounded steps: each run moves pages of held deliveries into the outbox as
   * cancellations, and the storage goes only once the log has every one of them. The alarm comes
   * back for the rest, and retries a flush that failed.
   */
  async forget(): Promise<void> {
    this.store.forgotten = true;
    await this.cancelHeld(this.now());
  }

  private async cancelHeld(now: number) {
    if (await this.flushOutbox(now)) {
      for (let page = 0; page < CANCEL_PAGES_PER_RUN; page++) {
        const held = this.store.oldest(CANCEL_PAGE);
        if (!held.length) break;
        this.cancelRows(held);
      }
      await this.flushOutbox(now);
    }
    if (this.store.count() === 0 && this.store.outboxSize() === 0) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.store.cleared();
      return;
    }
    await armAlarm(this.ctx.storage, "dispatcher", now + (this.flushFailed ? OUTBOX_RETRY_MS : 0));
  }

  /** Held deliveries leave the pending set and enter the outbox as cancellations, in one write. */
  private cancelRows(rows: HeldRef[]) {
    this.store.removeMany(rows.map((r) => r.seq));
    this.store.pushOutbox(
      rows.map((r) => ({ delivery: ref(r, this.endpointId()), status: "cancelled" as const, nextAttemptAt: null })),
    );
  }

  /** Cancels one held delivery. Answers whether this dispatcher held it. */
  async cancel(deliveryId: string): Promise<boolean> {
    const row = this.store.get(deliveryId);
    if (!row) return false;
    this.store.remove(row.seq);
    this.store.pushOutbox([{ delivery: ref(row, this.endpointId()), status: "cancelled", nextAttemptAt: null }]);
    await this.flushOutbox(this.now());
    await this.arm();
    return true;
  }

  /**
   * Cancels the held deliveries among these ids (a cancelled replay or recover: src/services/tasks.ts),
   * in flight or not: none of them is attempted again, and their cancels go through the outbox in
   * one write. Ids it does not hold are left alone. Answers how many it held.
   */
  async cancelMany(deliveryIds: string[]): Promise<number> {
    const rows = deliveryIds.map((id) => this.store.get(id)).filter((r) => r !== null);
    if (rows.length) this.cancelRows(rows);
    await this.flushOutbox(this.now());
    await this.arm();
    return rows.length;
  }

  /** How many deliveries wait here (due, scheduled or held), for stats. */
  async pendingCount(): Promise<number> {
    return this.store.count();
  }

  /** Whether the circuit breaker holds new first attempts back (GET /metrics' backlog state). */
  async breakerOpen(): Promise<boolean> {
    return this.store.health.breakerOpen;
  }

  /** What the dispatcher holds, for the API and tests. */
  async inspect() {
    return {
      endpoint: this.store.endpoint,
      health: this.store.health,
      pending: this.store.all(),
      outbox: this.store.outboxSize(),
    };
  }

  override async alarm(): Promise<void> {
    const now = this.now();
    if (this.store.forgotten) return this.cancelHeld(now);
    await this.flushOutbox(now);
    await this.syncDisable();
    const endpoint = this.store.endpoint;
    if (!endpoint) return;
    await this.dropBeyondRetention(endpoint, now);
    this.cancelExpired(now);
    if (endpoint.status === "active") await this.walkLanes(now);
    if (endpoint.status === "active") await this.runDue(endpoint, now);
    await this.flushOutbox(this.now());
    await this.arm();
  }

  /**
   * Lanes waiting for a delivery they were never handed ask the log for it (./lanes.ts). Only
   * with the outbox empty: the log must already know what this object let go, or a walk would
   * find a delivery cancelled here still open there and fetch it back.
   */
  private async walkLanes(now: number) {
    if (!(await this.flushOutbox(now))) return;
    await walkWaitingLanes(this.env, this.store, now, (link, key) =>
      this.store.insertPending([
        {
          delivery_id: link.id,
          tenant_id: link.event.tenantId,
          event_id: link.event.id,
          event_type: link.event.type,
          event_created_at: link.event.createdAt,
          payload: PAYLOAD_BY_ID,
          ordering_key: key,
          expires_at: link.event.expiresAt,
          attempts: link.attemptCount,
          due_at: Math.max(now, link.event.deliverAt ?? 0),
          trigger: "scheduled",
          trace_id: link.event.traceId ?? null,
          trace_flags: link.event.traceFlags ?? null,
          ...laneColumns(link.place),
        },
      ]),
    );
  }

  private endpointId(): string {
    return this.store.endpoint?.id ?? "";
  }

  /** A page of expired deliveries per run; what is left is still expired, so the alarm comes back at once. */
  private cancelExpired(now: number) {
    this.cancelRows(this.store.expired(now, CANCEL_PAGE));
  }

  /**
   * Every RETENTION_CHECK_EVERY_MS: cancels a page of what the tenant's log no longer keeps
   * (./retention.ts). A full page checks again on the next run; a failed read on the next period.
   * A new object starts the period without a check: what it was just handed is within the
   * retention, and a burst of new dispatchers makes no burst of D1 reads.
   */
  private async dropBeyondRetention(endpoint: EndpointSnapshot, now: number) {
    const checked = this.store.getMeta<number>("retention_checked_at");
    if (checked !== null && now < checked + RETENTION_CHECK_EVERY_MS) return;
    // Idle lanes first, in pages; a last page that was full brings the check back next run.
    let pruned = 0;
    for (let page = 0; page < CANCEL_PAGES_PER_RUN; page++) {
      pruned = this.store.pruneLanes(now - LANE_IDLE_MS, CANCEL_PAGE);
      if (pruned < CANCEL_PAGE) break;
    }
    if (pruned === CANCEL_PAGE) return;
    if (checked !== null && this.store.count() > 0) {
      const retentionMs = await tenantRetentionMs(this.env, endpoint.tenantId).catch((err) => {
        log.error("could not read the tenant's retention", { endpoint_id: endpoint.id, ...errorFields(err) });
        return null;
      });
      const rows = retentionMs === null ? [] : this.store.beyondRetention(now, retentionMs, CANCEL_PAGE);
      asRetention("dispatcher", () => this.cancelRows(rows));
      if (rows.length === CANCEL_PAGE) return;
    }
    this.store.setMeta("retention_checked_at", now);
  }

  /** How many more attempts the rate limit lets start now, and when the window frees up. */
  private rateBudget(endpoint: EndpointSnapshot, now: number): { budget: number; freeAt: number | null } {
    if (!endpoint.rateLimitPerS) return { budget: Number.POSITIVE_INFINITY, freeAt: null };
    this.recentStarts = this.recentStarts.filter((t) => t > now - 1000 && t <= now);
    const budget = endpoint.rateLimitPerS - this.recentStarts.length;
    return { budget, freeAt: budget > 0 ? null : (this.recentStarts[0] ?? now) + 1000 };
  }

  /**
   * Sends what is due, up to the endpoint's budget: max_in_flight across invocations (leases),
   * the rate limit, and what one run can finish (attemptsPerRun). The run's attempts share the
   * invocation's 6 connections; one waiting for a connection has not started its clock yet.
   */
  private async runDue(endpoint: EndpointSnapshot, now: number) {
    const health = this.store.health;
    const budget = Math.min(
      attemptBudget(health, {
        now,
        inFlight: this.store.inFlight(now),
        maxInFlight: endpoint.maxInFlight ?? DEFAULT_CONCURRENCY,
      }),
      this.rateBudget(endpoint, now).budget,
      attemptsPerRun(endpoint.timeoutMs),
    );
    const rows = this.store.due(now, budget);
    if (!rows.length) return;
    // With the breaker open, what goes out now is a probe (the budget is one).
    const probe = health.breakerOpen;
    const connections = new ConnectionSlots();
    // The last attempt may wait for the ones before it: each wave of 6 takes up to a timeout.
    const waves = Math.ceil(rows.length / CONNECTIONS_PER_INVOCATION);
    this.store.lease(
      rows.map((r) => r.seq),
      now + waves * endpoint.timeoutMs + LEASE_MARGIN_MS,
    );
    this.recentStarts.push(...rows.map(() => now));
    // The lease expiry is the safety net: if this isolate dies mid-attempt, the alarm comes back.
    await this.arm();

    const ready = await this.loadPayloads(rows);
    if (!ready.length) return;
    const config = readConfig(this.env);
    const resolved = await resolveEndpoint(this.env, endpoint, now);
    const results = await Promise.all(
      ready.map((r) =>
        sendAttempt({
          endpoint: resolved,
          event: {
            id: r.event_id,
            type: r.event_type,
            createdAt: r.event_created_at,
            payload: r.payload,
            traceId: r.trace_id,
            traceFlags: r.trace_flags,
            sequence: r.lane_n || null,
          },
          deliveryId: r.delivery_id,
          number: r.attempts + 1,
          trigger: r.trigger as AttemptTrigger,
          config,
          now: () => this.now(),
          connections,
        }),
      ),
    );
    await this.settle(
      endpoint,
      ready.map((row, i) => ({ row, result: results[i]!, probe })),
    );
  }

  /**
   * The leased rows with their payloads (loaded by id where the hand-off carried none). A row whose
   * event is gone is dropped as cancelled. If the log cannot be read now, nothing goes out and the
   * leases, once run out, bring the alarm back (a natural back-off).
   */
  private async loadPayloads(rows: PendingRow[]): Promise<PendingRow[]> {
    try {
      const { ready, gone } = await withPayloads(this.env, rows);
      if (gone.length) {
        this.store.removeMany(gone.map((r) => r.seq));
        this.store.pushOutbox(
          gone.map((r) => ({ delivery: ref(r, this.endpointId()), status: "cancelled" as const, nextAttemptAt: null })),
        );
      }
      return ready;
    } catch (err) {
      log.warn("could not load payloads; the attempts wait for their leases to run out", {
        endpoint_id: this.endpointId(),
        ...errorFields(err),
      });
      return [];
    }
  }

  /**
   * A manual attempt now (POST /deliveries/{id}/retry), outside the ladder. A delivery this
   * dispatcher holds is leased for the duration so the alarm cannot send it at the same time; a
   * failure leaves its place on the ladder as it was. A success finishes it, whatever its state.
   */
  async attemptNow(
    snapshot: EndpointSnapshot,
    item: EnqueueItem & { number: number; payload: string },
  ): Promise<AttemptResult> {
    const current = this.store.endpoint;
    if (!current || snapshot.version >= current.version) this.store.endpoint = snapshot;
    const endpoint = this.store.endpoint!;
    const now = this.now();
    const held = this.store.get(item.deliveryId);
    if (held) this.store.lease([held.seq], now + endpoint.timeoutMs + LEASE_MARGIN_MS);
    const resolved = await resolveEndpoint(this.env, endpoint, now);
    const result = await sendAttempt({
      endpoint: resolved,
      event: {
        id: item.eventId,
        type: item.eventType,
        createdAt: item.eventCreatedAt,
        payload: item.payload,
        traceId: item.traceId,
        traceFlags: item.traceFlags,
        sequence: item.lane?.n ?? null,
      },
      number: item.number,
      trigger: "manual",
      config: readConfig(this.env),
      now: () => this.now(),
    });
    const row: PendingRow = held ?? {
      seq: -1,
      delivery_id: item.deliveryId,
      tenant_id: item.tenantId,
      event_id: item.eventId,
      event_type: item.eventType,
      event_created_at: item.eventCreatedAt,
      payload: item.payload,
      ordering_key: item.orderingKey,
      expires_at: item.expiresAt,
      attempts: item.number - 1,
      due_at: now,
      lease_until: null,
      trigger: "manual",
      trace_id: item.traceId ?? null,
      trace_flags: item.traceFlags ?? null,
      ...laneColumns(item.lane),
    };
    await this.settle(endpoint, [{ row, result, manual: true }]);
    await this.flushOutbox(this.now());
    await this.arm();
    return result;
  }

  /** Applies attempt outcomes: pending set, health, outbox, and what the receiver asked for. */
  private async settle(
    endpoint: EndpointSnapshot,
    outcomes: { row: PendingRow; result: AttemptResult; manual?: boolean; probe?: boolean }[],
  ) {
    const now = this.now();
    const changes: DeliveryChange[] = [];
    const signals: OperationalSignal[] = [];
    let health = this.store.health;
    const finished: number[] = [];
    let disable: DisableReason | null = null;
    const policy = (endpoint.retryPolicy as RetryPolicy | null) ?? deploymentDefaults(this.env).retryPolicy;
    // First attempts held in memory that all succeeded skip the outbox (below), read before they go.
    const fromMemory = outcomes.every((o) => this.store.inMemory(o.row.seq));
    for (const { row, result, manual, probe } of outcomes) {
      const delivery = ref(row, endpoint.id);
      const held = row.seq >= 0;
      const attempts = result.number;
      const verdict = decideOutcome({
        result,
        failedBefore: row.attempts,
        manual: !!manual,
        probe: !!probe,
        policy,
        health,
        now,
        random: () => this.clock.random(),
      });
      health = verdict.health;
      disable = mergeDisable(disable, verdict.disable);
      const finish = (status: "succeeded" | "cancelled" | "failed") => {
        if (held) finished.push(row.seq);
        changes.push({
          delivery,
          attempt: result,
          status,
          force: manual && status === "succeeded",
          attemptCount: attempts,
          nextAttemptAt: null,
        });
      };

      const outcome = verdict.delivery;
      switch (outcome.kind) {
        case "succeed":
          finish("succeeded");
          if (outcome.recovered)
            signals.push({ type: "delivery.recovered", delivery, attempts, eventType: row.event_type });
          break;
        case "cancel":
          finish("cancelled");
          break;
        case "keep":
          if (held) this.store.release(row.seq);
          changes.push({ delivery, attempt: result, attemptCount: attempts });
          break;
        case "give_up":
          finish("failed");
          signals.push({ type: "delivery.exhausted", delivery, attempts, eventType: row.event_type });
          break;
        case "retry":
          this.store.reschedule(row.seq, outcome.failedAttempts, outcome.at);
          changes.push({
            delivery,
            attempt: result,
            status: "pending_retry",
            attemptCount: attempts,
            nextAttemptAt: outcome.at,
          });
          if (outcome.failing)
            signals.push({ type: "delivery.failing", delivery, attempts, eventType: row.event_type });
          break;
      }
    }
    // A manual attempt is out of its turn: what it settles says nothing about the lane before it.
    this.store.removeMany(
      finished,
      outcomes.every((o) => !o.manual),
    );
    this.store.health = health;
    await this.recordOrQueue(changes, fromMemory, now);
    if (disable && this.store.endpoint?.status === "active") {
      // Held, not lost: the pending set stays as it is and resumes when the endpoint is enabled.
      // The object stops at once; D1 follows (syncDisable), retried until it has the disable.
      this.store.endpoint = {
        ...endpoint,
        status: "disabled",
        disabledReason: disable,
        disabledAt: now,
        version: endpoint.version + 1,
      };
      this.store.pendingDisable = { reason: disable, at: now, version: endpoint.version };
      await this.syncDisable();
    }
    if (signals.length) {
      await onOperationalSignals(this.env, endpoint, signals).catch((err) =>
        log.error("could not emit operational events", { endpoint_id: endpoint.id, ...errorFields(err) }),
      );
    }
  }

  /**
   * Writes a disable the object applied to D1 (a compare-and-set, ./signals.ts) and takes D1's row
   * as the snapshot afterwards, so both hold the same version. On failure it stays pending and the
   * alarm retries it in OUTBOX_RETRY_MS.
   */
  private async syncDisable() {
    const pending = this.store.pendingDisable;
    const endpoint = this.store.endpoint;
    if (!pending || !endpoint) return;
    try {
      const row = await onEndpointDisabledByReceiver(this.env, endpoint, pending);
      this.store.pendingDisable = null;
      if (row && row.version >= (this.store.endpoint?.version ?? 0)) this.store.endpoint = row;
    } catch (err) {
      log.error("could not record endpoint disable; will retry", { endpoint_id: endpoint.id, ...errorFields(err) });
    }
  }

  /**
   * Successes of first attempts held in memory go to the TenantLog at once, not through the outbox
   * (its row written and deleted: two rows per batch). Their durable record is the log's `pending`
   * delivery, as while they were held: if this object dies before the write, the sweep hands them
   * over again (a second send, never a loss). Anything else, a refused write, or an outbox with
   * older changes waiting (their order is kept) goes through the outbox.
   */
  private async recordOrQueue(changes: DeliveryChange[], fromMemory: boolean, now: number) {
    const direct =
      fromMemory &&
      changes.length > 0 &&
      changes.every((c) => c.status === "succeeded") &&
      this.store.outboxSize() === 0;
    if (direct) {
      try {
        await recordChanges(this.env, changes, now);
        return;
      } catch (err) {
        log.error("recording outcomes failed; queued in the outbox", {
          endpoint_id: this.endpointId(),
          ...errorFields(err),
        });
      }
    }
    this.store.pushOutbox(changes);
  }

  /**
   * Writes queued log changes to the TenantLog, one bounded call at a time (./bounds.ts), at most
   * FLUSH_CALLS_PER_RUN calls. Answers whether the outbox is empty. On failure the changes stay
   * queued and the alarm comes back in OUTBOX_RETRY_MS; a flush cut by the call bound comes back at once.
   */
  private async flushOutbox(now: number): Promise<boolean> {
    for (let calls = 0; calls < FLUSH_CALLS_PER_RUN; calls++) {
      const entries = this.store.outbox();
      if (!entries.length) break;
      try {
        await recordChanges(
          this.env,
          entries.flatMap((e) => e.changes),
          now,
        );
      } catch (err) {
        log.error("outbox flush failed; will retry", { endpoint_id: this.endpointId(), ...errorFields(err) });
        this.flushFailed = true;
        return false;
      }
      this.flushFailed = false;
      this.store.dropOutbox(entries.map((e) => e.id));
    }
    return this.store.outboxSize() === 0;
  }

  /**
   * One alarm at the earliest moment anything can happen. `noLater`: keep an alarm already set at
   * that moment or before (its run arms what comes next), so a burst of hand-offs arms once, not
   * once each (every setAlarm is a row written).
   */
  private async arm({ noLater = false }: { noLater?: boolean } = {}) {
    const endpoint = this.store.endpoint;
    const wakes: number[] = [];
    if (this.store.pendingDisable) wakes.push(this.now() + OUTBOX_RETRY_MS);
    if (this.store.outboxSize() > 0) wakes.push(this.now() + (this.flushFailed ? OUTBOX_RETRY_MS : 0));
    const now = this.now();
    const { inFlight, inFlightInTable, lease, nextDue, expiry, laneWait } = this.store.wakeInputs(now);
    // A lane waiting for a delivery it was not handed asks the log once it waited LANE_GAP_WAIT_MS.
    if (endpoint?.status === "active" && laneWait !== null)
      wakes.push(Math.max(laneWait + LANE_GAP_WAIT_MS, now + LANE_WALK_RETRY_MS));
    if (endpoint?.status === "active") {
      const health = this.store.health;
      if (lease !== null) wakes.push(lease);
      const full = inFlight >= (endpoint.maxInFlight ?? DEFAULT_CONCURRENCY) || (health.breakerOpen && inFlight > 0);
      const next = full ? null : nextDue;
      if (next !== null) {
        let at = next;
        if (health.breakerOpen && health.nextProbeAt !== null) at = Math.max(at, health.nextProbeAt);
        const rate = this.rateBudget(endpoint, now);
        if (rate.freeAt !== null) at = Math.max(at, rate.freeAt);
        wakes.push(at);
      }
    }
    // expires_at cancels what is not delivered by then, on an active or a disabled endpoint alike.
    if (endpoint && expiry !== null) wakes.push(expiry);
    // So does the tenant's retention: a held delivery is checked against it now and then (a first
    // attempt held in memory is new, and goes with its object).
    if (endpoint && (nextDue !== null || inFlightInTable > 0))
      wakes.push((this.store.getMeta<number>("retention_checked_at") ?? now) + RETENTION_WAKE_MS);
    if (!wakes.length) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const at = Math.min(...wakes);
    const current = await this.ctx.storage.getAlarm();
    if (noLater && current !== null && current <= at) return;
    if (current !== at) await armAlarm(this.ctx.storage, "dispatcher", at);
  }
}

/** A hand-off's lane place as pending columns (0 / null: no place). */
function laneColumns(place: LanePlace | null | undefined) {
  return { lane_n: place?.n ?? 0, lane_prev: place?.prev ?? null, lane_epoch: place?.epoch ?? 0 };
}

function ref(row: HeldRef, endpointId: string) {
  return { id: row.delivery_id, tenantId: row.tenant_id, endpointId, eventId: row.event_id };
}
