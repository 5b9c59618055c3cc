/**
 * Ingest: the events are written durably to the tenant's TenantLog and their fan-out is queued
 * (by the TenantLog, one message for the appends in flight together) before they are answered
 * (read-after-write). Idempotency (Idempotency-Key header or
 * body `id`, 24 h) is settled in the same TenantLog transaction as the insert, and a TenantLog
 * runs one call at a time, so concurrent repeats can never create two events. A repeat with a
 * different body is a 409 naming the key.
 */
import { newId } from "../../db/ids";
import { fingerprintOf } from "../../delivery/idempotency";
import type { TraceContext } from "../../delivery/trace-context";
import { ApiError, type ErrorIssue, notFound } from "../../errors";
import { endpointOwnerOf, STALE_TENANT } from "../../tenant-log/client";
import { appendEvents } from "../../tenant-log/log-segments";
import { parseShardChanges } from "../../tenant-log/segments";
import type { AppendResult } from "../../tenant-log/types";
import { invalidate } from "../config-cache";
import type { ServiceCtx } from "../context";
import { cachedTenant, tenantRef } from "../tenants";
import { assertFanoutQuota } from "./fanout-quota";
import type { EventRow } from "./view";

export interface IngestInput {
  type: string;
  data: unknown;
  id?: string;
  channels?: string[];
  ordering_key?: string;
  deliver_at?: number;
  expires_at?: number;
}

interface Ingested {
  event: EventRow;
  /** False when an idempotent repeat answered an existing event. */
  created: boolean;
}

function idempotencyKeyOf(input: IngestInput, header: string | undefined): string | null {
  if (header) return `h:${header}`;
  if (input.id) return `id:${input.id}`;
  return null;
}

const DAY_MS = 86_400_000;

/**
 * `deliver_at` and `expires_at` may lie at most the tenant's retention ahead: the event itself is
 * purged after that long, so a later time would only park a payload in a dispatcher past the
 * retention the tenant chose (for decades, if the producer wrote 2099). Issues, one per field.
 */
function scheduleIssues(
  input: Pick<IngestInput, "deliver_at" | "expires_at">,
  now: number,
  retentionDays: number,
): ErrorIssue[] {
  const latest = now + retentionDays * DAY_MS;
  return (["deliver_at", "expires_at"] as const)
    .filter((field) => (input[field] ?? 0) > latest)
    .map((field) => ({ path: field, message: `at most the tenant's retention (${retentionDays} days) ahead` }));
}

/** The key as the producer wrote it (header value or body id), for the 409 message. */
const shownKey = (key: string) => key.slice(key.indexOf(":") + 1);

function eventRow(
  tenantId: string,
  input: IngestInput,
  key: string | null,
  now: number,
  trace: TraceContext | null,
): EventRow {
  return {
    id: newId("evt", now),
    tenantId,
    type: input.type,
    payload: JSON.stringify(input.data),
    channels: input.channels?.length ? input.channels : null,
    orderingKey: input.ordering_key ?? null,
    deliverAt: input.deliver_at ?? null,
    expiresAt: input.expires_at ?? null,
    idempotencyKey: key,
    createdAt: now,
    fannedOutAt: null,
    // The producer's trace (a valid `traceparent` on the ingest request): every attempt continues it.
    traceId: trace?.traceId ?? null,
    traceFlags: trace?.flags ?? null,
  };
}

/**
 * Appends through the TenantLog named `logName` (the tenant's own, or an operator log); a stale
 * cached tenant (deleted and created again) is re-read once.
 */
async function append(
  ctx: ServiceCtx,
  tenantId: string,
  rows: EventRow[],
  now: number,
  logName: string,
): Promise<AppendResult[]> {
  // Only a keyed event is ever compared with a repeat; canonicalising every payload cost a parse
  // and a sort per event for nothing (measured: ~5 % of the single-ingest profile).
  const inputs = rows.map((event) => ({
    event,
    fingerprint: event.idempotencyKey === null ? "" : fingerprintOf(event),
  }));
  for (let attempt = 0; ; attempt++) {
    const row = await cachedTenant(ctx, tenantId);
    const tenant = await tenantRef(ctx, tenantId);
    // The log's own name rides on the ref: its fan-out messages name the log they come from. A
    // tenant's own log is a series of segments; an operator log is one object.
    const current = logName === tenantId ? row.logCurrentSegment : null;
    const position = current === null ? null : { current, shards: parseShardChanges(row.logShardHistory) };
    const { results, segment } = await appendEvents(
      ctx.env,
      { ...tenant, id: logName },
      position,
      inputs,
      now,
      ctx.config.segment,
    );
    // A rollover moved the tenant row on: this isolate's next append starts at the new segment.
    if (current !== null && segment !== current) invalidate(`tenant:${tenantId}`);
    if (results !== STALE_TENANT) return results;
    invalidate(`tenant:${tenantId}`);
    if (attempt > 0) throw notFound("tenant");
  }
}

/**
 * Ingests several events in one TenantLog call (which queues their fan-out), into the tenant's own
 * log or, for the operator's copies of operational events, the operator log `logName` (whose rows
 * name it as their tenant, so outcomes are recorded there). Answers, in order, the
 * stored event for each input. Throws not_found when the tenant does not exist, conflict when an
 * idempotency key is reused with a different body (for a batch: only if every event conflicts;
 * otherwise that event's answer is `conflict`). An event scheduled past the retention is not
 * stored: its answer is `invalid` with the issues.
 */
export async function ingestEvents(
  ctx: ServiceCtx,
  tenantId: string,
  inputs: { input: IngestInput; idempotencyHeader?: string; trace?: TraceContext | null }[],
  logName = tenantId,
): Promise<(Ingested | { conflict: string } | { invalid: ErrorIssue[] })[]> {
  const now = Date.now();
  const { retentionDays } = await tenantRef(ctx, tenantId);
  const invalid = inputs.map(({ input }) => scheduleIssues(input, now, retentionDays));
  const accepted = inputs.filter((_, i) => !invalid[i]!.length);
  const rows = accepted.map(({ input, idempotencyHeader, trace }) =>
    eventRow(logName, input, idempotencyKeyOf(input, idempotencyHeader), now, trace ?? null),
  );
  if (rows.length) await assertFanoutQuota(ctx, endpointOwnerOf(logName), rows);
  const results = rows.length ? await append(ctx, tenantId, rows, now, logName) : [];
  let next = 0;
  return invalid.map((issues): Ingested | { conflict: string } | { invalid: ErrorIssue[] } => {
    if (issues.length) return { invalid: issues };
    const r = results[next++]!;
    return r.kind === "conflict" ? { conflict: shownKey(r.key) } : { event: r.event, created: r.kind === "created" };
  });
}

/** One event: a conflict is the request's answer (409 naming the key). */
export async function ingestEvent(
  ctx: ServiceCtx,
  tenantId: string,
  input: IngestInput,
  idempotencyHeader?: string,
  trace?: TraceContext | null,
): Promise<Ingested> {
  const [result] = await ingestEvents(ctx, tenantId, [{ input, idempotencyHeader, trace }]);
  if (result && "invalid" in result)
    throw new ApiError(
      "bad_request",
      "deliver_at and expires_at are at most the tenant's retention ahead",
      result.invalid,
    );
  if (!result || "conflict" in result) throw idempotencyConflict(result?.conflict ?? "");
  return result;
}

export function idempotencyConflict(key: string) {
  return new ApiError("conflict", `idempotency key '${key}' was already used with a different body`, [
    { path: "idempotency-key", message: "reused with a different body" },
  ]);
}
