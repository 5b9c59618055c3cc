/**
 * Queue consumers. Events queue: fan each event out, and store the operational events the
 * dispatchers raised. Acks only after the outcome is recorded in D1 (and handed to the
 * dispatchers); a failure retries the message (with backoff) and, after max_retries, the queue
 * moves it to the dead-letter queue, whose consumer records it in D1.
 */
import { deadLetters } from "../db/schema";
import { newId } from "../db/ids";
import { log } from "../lib/log";
import { type ServiceCtx, serviceCtx } from "../services/context";
import { fanOut } from "../services/events/fanout";
import { emitOperational, type OperationalType } from "../services/operational";
import { EventsMessage, type FanoutMessages, type OperationalMessage, eventIdsOf } from "./messages";

const retryDelay = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 8));

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ctx = serviceCtx(env);
  const good: { msg: Message<unknown>; body: EventsMessage }[] = [];
  const poison: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const parsed = EventsMessage.safeParse(msg.body);
    if (parsed.success) good.push({ msg, body: parsed.data });
    else poison.push(msg);
  }
  if (poison.length) {
    // A message no version of this code understands can never succeed: record it, then ack.
    await recordDeadLetters(env, batch.queue, poison);
    for (const m of poison) m.ack();
  }
  if (!good.length) return;
  try {
    await handle(ctx, good.map((g) => g.body));
    for (const g of good) g.msg.ack();
    return;
  } catch (err) {
    log.warn("queue batch failed; retrying message by message", { queue: batch.queue, error: String(err) });
  }
  // One bad message must not hold back the rest of the batch.
  for (const g of good) {
    try {
      await handle(ctx, [g.body]);
      g.msg.ack();
    } catch (err) {
      log.error("queue message failed", { ...describe(g.body), attempts: g.msg.attempts, error: String(err) });
      g.msg.retry({ delaySeconds: retryDelay(g.msg.attempts) });
    }
  }
}

/** Fans out every event the messages name, and stores every operational event, one batch each. */
async function handle(ctx: ServiceCtx, bodies: EventsMessage[]) {
  const fanouts = bodies.filter((b): b is FanoutMessages => b.kind === "fanout");
  const operational = bodies.filter((b): b is OperationalMessage => b.kind === "operational");
  if (fanouts.length) {
    await fanOut(ctx, fanouts.flatMap((b) => eventIdsOf(b).map((eventId) => ({ tenantId: b.tenant_id, eventId, origin: b.origin }))));
  }
  if (operational.length) {
    await emitOperational(ctx, operational.flatMap((b) => b.events.map((e) => ({ type: e.type as OperationalType, tenantId: e.tenant_id, data: e.data, eventType: e.event_type }))));
  }
}

function describe(body: EventsMessage) {
  return body.kind === "fanout" ? { event_ids: eventIdsOf(body).join(","), tenant_id: body.tenant_id } : { operational_events: body.events.length };
}

async function recordDeadLetters(env: Env, queue: string, messages: readonly Message<unknown>[]) {
  const ctx = serviceCtx(env);
  const now = Date.now();
  const rows = messages.map((m) => ({ id: newId("dlq", now), queue, body: JSON.stringify(m.body ?? null), attempts: m.attempts, createdAt: now, redrivenAt: null }));
  for (let i = 0; i < rows.length; i += 15) await ctx.db.insert(deadLetters).values(rows.slice(i, i + 15));
}

/** Dead-letter queue: what lands here is recorded in D1 (dead_letters) for inspection; the cron sweeper re-drives its still un-fanned events. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(env, batch.queue, batch.messages);
  log.error("messages dead-lettered", { queue: batch.queue, count: batch.messages.length });
  batch.ackAll();
}
