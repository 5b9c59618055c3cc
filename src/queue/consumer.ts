/**
 * Queue consumers. Events queue: fan each event out, and store the operational events the
 * dispatchers raised. Fan-out messages are grouped per tenant and each tenant's group is acked
 * or retried on its own, so a tenant whose fan-out fails or is slow never holds up another's
 * messages in the same batch. Acks only after the outcome is recorded (and handed to the
 * dispatchers); after max_retries the queue moves a message to the dead-letter queue, whose
 * consumer records it in its tenant's TenantLog.
 */

import { eq } from "drizzle-orm";
import { newId } from "../db/ids";
import { tenants } from "../db/schema";
import { OPERATOR_TENANT } from "../domain/operational";
import {
  EventsMessage,
  type FanoutMessages,
  MESSAGES_PER_SEND_BATCH,
  type OperationalMessage,
  splitOversizedFanout,
  tenantNamedBy,
} from "../domain/queue-messages";
import { chunk } from "../lib/chunk";
import { errorFields, log } from "../lib/log";
import { type ServiceCtx, serviceCtx } from "../services/context";
import { fanOutByTenant } from "../services/events/fanout";
import { storeQueuedOperational } from "../services/operational";
import { addDeadLetters } from "../tenant-log/log-segments";
import type { DeadLetterRow } from "../tenant-log/types";

const retryDelay = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 8));

type Parsed = { msg: Message<unknown>; body: EventsMessage };

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ctx = serviceCtx(env);
  const good: Parsed[] = [];
  const poison: Message<unknown>[] = [];
  const oversized: { msg: Message<unknown>; parts: FanoutMessages[] }[] = [];
  for (const msg of batch.messages) {
    const parsed = EventsMessage.safeParse(msg.body);
    if (parsed.success) {
      good.push({ msg, body: parsed.data });
      continue;
    }
    const parts = splitOversizedFanout(msg.body);
    if (parts) oversized.push({ msg, parts });
    else poison.push(msg);
  }
  const fanouts = good.filter((g): g is Parsed & { body: FanoutMessages } => g.body.kind === "fanout");
  const operational = good.filter((g): g is Parsed & { body: OperationalMessage } => g.body.kind === "operational");
  await Promise.all([
    poison.length ? recordPoison(env, batch.queue, poison) : null,
    oversized.length ? requeueSplit(env, oversized) : null,
    fanouts.length ? consumeFanouts(ctx, fanouts) : null,
    operational.length ? consumeOperational(ctx, operational) : null,
  ]);
}

/** A message no version of this code understands can never succeed: record it, then ack. */
async function recordPoison(env: Env, queue: string, poison: Message<unknown>[]) {
  await recordDeadLetters(env, queue, poison);
  for (const m of poison) m.ack();
}

/**
 * A fan-out message older code queued with more ids than the schema takes: queued again as
 * messages the schema takes, then acked (retried if the queue refused them; fan-out is idempotent).
 */
async function requeueSplit(env: Env, oversized: { msg: Message<unknown>; parts: FanoutMessages[] }[]) {
  for (const { msg, parts } of oversized) {
    try {
      for (const some of chunk(parts, MESSAGES_PER_SEND_BATCH))
        await env.EVENTS_QUEUE.sendBatch(some.map((body) => ({ body, contentType: "json" as const })));
      msg.ack();
    } catch (err) {
      log.error("could not queue the parts of an oversized fan-out message", {
        parts: parts.length,
        ...errorFields(err),
      });
      msg.retry({ delaySeconds: retryDelay(msg.attempts) });
    }
  }
}

async function consumeFanouts(ctx: ServiceCtx, messages: (Parsed & { body: FanoutMessages })[]) {
  const requests = (g: Parsed & { body: FanoutMessages }) =>
    g.body.event_ids.map((eventId) => ({ tenantId: g.body.tenant_id, eventId, origin: g.body.origin }));
  const outcomes = await fanOutByTenant(
    ctx,
    messages.filter((g) => g.body.resume_after === undefined).flatMap(requests),
    messages
      .filter((g) => g.body.resume_after !== undefined)
      .map((g) => ({ tenantId: g.body.tenant_id, requests: requests(g), after: g.body.resume_after! })),
  );
  for (const g of messages) {
    const outcome = outcomes.get(g.body.tenant_id);
    if (outcome?.status === "fulfilled") {
      g.msg.ack();
      continue;
    }
    log.error("fan-out failed; retrying the tenant's messages", {
      tenant_id: g.body.tenant_id,
      attempts: g.msg.attempts,
      ...errorFields(outcome?.reason),
    });
    g.msg.retry({ delaySeconds: retryDelay(g.msg.attempts) });
  }
}

/** Every operational event of the batch in one ingest; if that fails, message by message. */
async function consumeOperational(ctx: ServiceCtx, messages: (Parsed & { body: OperationalMessage })[]) {
  const store = (bodies: OperationalMessage[]) => storeQueuedOperational(ctx, bodies);
  try {
    await store(messages.map((m) => m.body));
    for (const m of messages) m.msg.ack();
    return;
  } catch (err) {
    log.warn("operational batch failed; retrying message by message", { ...errorFields(err) });
  }
  for (const m of messages) {
    try {
      await store([m.body]);
      m.msg.ack();
    } catch (err) {
      log.error("operational message failed", {
        operational_events: m.body.events.length,
        attempts: m.msg.attempts,
        ...errorFields(err),
      });
      m.msg.retry({ delaySeconds: retryDelay(m.msg.attempts) });
    }
  }
}

/**
 * Which tenant's log keeps a dead letter: a fan-out's own tenant; a body the schema refuses, the
 * existing tenant it names (listed and purged with that tenant, and re-drivable by hand when a
 * newer version understands it); anything else the operator's.
 */
function deadLetterOf(
  queue: string,
  m: Message<unknown>,
  now: number,
  known: Set<string>,
): { tenantId: string; row: DeadLetterRow } {
  const parsed = EventsMessage.safeParse(m.body);
  const kind = parsed.success ? parsed.data.kind : "unknown";
  const named = parsed.success ? null : tenantNamedBy(m.body);
  const tenantId =
    parsed.success && parsed.data.kind === "fanout"
      ? parsed.data.tenant_id
      : named && known.has(named)
        ? named
        : OPERATOR_TENANT;
  const redrives = parsed.success ? (parsed.data.redrives ?? 0) : 0;
  return {
    tenantId,
    row: {
      id: newId("dlq", now),
      queue,
      kind,
      body: JSON.stringify(m.body ?? null),
      attempts: m.attempts,
      redrives,
      createdAt: now,
      redrivenAt: null,
    },
  };
}

async function recordDeadLetters(env: Env, queue: string, messages: readonly Message<unknown>[]) {
  const now = Date.now();
  const known = await existingTenantsNamedBy(env, messages);
  const byTenant = new Map<string, DeadLetterRow[]>();
  for (const m of messages) {
    const { tenantId, row } = deadLetterOf(queue, m, now, known);
    byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), row]);
  }
  await Promise.all([...byTenant].map(([tenantId, rows]) => addDeadLetters(env, tenantId, rows)));
}

/** The tenants that exist among those named by bodies the schema refuses (rare: one D1 read each). */
async function existingTenantsNamedBy(env: Env, messages: readonly Message<unknown>[]): Promise<Set<string>> {
  const named = new Set(
    messages.flatMap((m) =>
      EventsMessage.safeParse(m.body).success ? [] : [tenantNamedBy(m.body)].filter((t): t is string => t !== null),
    ),
  );
  const db = serviceCtx(env).db;
  const found = await Promise.all(
    [...named].map(async (id) =>
      (await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, id)).get()) ? id : null,
    ),
  );
  return new Set(found.filter((t): t is string => t !== null));
}

/** Dead-letter queue: what lands here is recorded in its tenant's TenantLog; the cron sweeper re-drives it. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(env, batch.queue, batch.messages);
  log.error("messages dead-lettered", { queue: batch.queue, count: batch.messages.length });
  batch.ackAll();
}
