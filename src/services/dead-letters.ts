/**
 * Dead letters: queue messages that exhausted their retries, kept in their tenant's TenantLog
 * (the operator's for messages of no tenant). Re-driving queues the message again with its
 * `redrives` count raised, and marks the record re-driven once the queue took it (it leaves the
 * list and is purged with the tenant's retention; re-driving it again answers 409). If the
 * message dead-letters again it comes back as a new record carrying the count, so the sweeper
 * stops at a bound. Queue first, mark after: a crash in between re-drives twice (fan-out is
 * idempotent) rather than never.
 */

import { OPERATOR_TENANT } from "../domain/operational";
import { EventsMessage, splitOversizedFanout } from "../domain/queue-messages";
import { ApiError, notFound } from "../errors";
import { iso } from "../lib/time";
import { bySegment, logForId, tenantLogFor } from "../tenant-log/client";
import { listAcross, segmentsOf } from "../tenant-log/log-segments";
import type { DeadLetterRow } from "../tenant-log/types";
import type { ServiceCtx } from "./context";
import { getTenant } from "./tenants";

export function deadLetterView(row: DeadLetterRow) {
  return {
    id: row.id,
    queue: row.queue,
    kind: row.kind as "fanout" | "operational" | "unknown",
    attempts: row.attempts,
    redrives: row.redrives,
    body: JSON.parse(row.body) as unknown,
    created_at: iso(row.createdAt),
  };
}

/** 404 for a tenant that does not exist; the operator's log exists before `_operator` is in D1. */
async function assertTenant(ctx: ServiceCtx, tenantId: string) {
  if (tenantId !== OPERATOR_TENANT) await getTenant(ctx.db, tenantId);
}

export async function listDeadLetters(ctx: ServiceCtx, tenantId: string, f: { limit: number; before?: string }) {
  await assertTenant(ctx, tenantId);
  return listAcross(ctx.env, tenantId, await segmentsOf(ctx.env, tenantId), f, "dlq", (log, at) =>
    log.listDeadLetters({ ...f, ...at }),
  );
}

/**
 * The messages to queue again, or null when no version of the code understands it. A fan-out that
 * older code queued with more ids than the schema takes goes back as several messages the schema takes.
 */
function requeueable(row: DeadLetterRow): EventsMessage[] | null {
  const body = JSON.parse(row.body) as unknown;
  const parsed = EventsMessage.safeParse(body);
  const messages = parsed.success ? [parsed.data] : splitOversizedFanout(body);
  return messages?.map((m) => ({ ...m, redrives: row.redrives + 1 })) ?? null;
}

async function requeue(ctx: ServiceCtx, tenantId: string, rows: DeadLetterRow[]): Promise<number> {
  const sent: string[] = [];
  for (const row of rows) {
    const messages = requeueable(row);
    if (!messages) continue;
    for (const message of messages) await ctx.env.EVENTS_QUEUE.send(message, { contentType: "json" });
    sent.push(row.id);
  }
  // Each in the segment its id names (the sweep passes a segment's own name: the same segment).
  for (const [, ids] of bySegment(sent, (id) => id))
    await logForId(ctx.env, tenantId, ids[0]!).markDeadLettersRedriven(ids, Date.now());
  return sent.length;
}

/** The sweeper's step: queue again what was re-driven fewer than `maxRedrives` times. */
export async function redriveDeadLetters(
  ctx: ServiceCtx,
  tenantId: string,
  opts: { maxRedrives: number; limit: number },
): Promise<number> {
  const rows = await tenantLogFor(ctx.env, tenantId).listDeadLetters({
    limit: opts.limit,
    maxRedrives: opts.maxRedrives,
  });
  return requeue(ctx, tenantId, rows.slice(0, opts.limit));
}

/** The operator's re-drive of one dead letter, whatever its count; once only. */
export async function redriveDeadLetter(ctx: ServiceCtx, tenantId: string, id: string) {
  await assertTenant(ctx, tenantId);
  const row = await logForId(ctx.env, tenantId, id).getDeadLetter(id);
  if (!row) throw notFound("dead letter");
  if (row.redrivenAt !== null)
    throw new ApiError("conflict", `this dead letter was already re-driven at ${iso(row.redrivenAt)}`);
  if (!requeueable(row))
    throw new ApiError("conflict", "no version of this service understands this message; it cannot be re-driven");
  await requeue(ctx, tenantId, [row]);
  return { id: row.id, queued: true as const };
}
