/**
 * Queue consumers. Events queue: fan each event out. Acks only after the outcome is recorded in
 * D1 and handed to the dispatchers; a failure retries the message (with backoff) and, after
 * max_retries, the queue moves it to the dead-letter queue, whose consumer records it in D1.
 */
import { deadLetters } from "../db/schema";
import { newId } from "../db/ids";
import { log } from "../lib/log";
import { serviceCtx } from "../services/context";
import { fanOut } from "../services/events/fanout";
import { EventsMessage, eventIdsOf } from "./messages";

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
  const requestsOf = (body: EventsMessage) => eventIdsOf(body).map((eventId) => ({ tenantId: body.tenant_id, eventId, origin: body.origin }));
  const requests = good.flatMap((g) => requestsOf(g.body));
  let batchOk = false;
  try {
    await fanOut(ctx, requests);
    batchOk = true;
  } catch (err) {
    log.warn("fan-out batch failed; retrying message by message", { queue: batch.queue, error: String(err) });
  }
  if (batchOk) {
    for (const g of good) g.msg.ack();
    return;
  }
  // One bad message must not hold back the rest of the batch.
  for (const g of good) {
    let ok = false;
    try {
      await fanOut(ctx, requestsOf(g.body));
      ok = true;
    } catch (err) {
      log.error("fan-out failed", { event_ids: eventIdsOf(g.body).join(","), tenant_id: g.body.tenant_id, attempts: g.msg.attempts, error: String(err) });
    }
    if (ok) g.msg.ack();
    else g.msg.retry({ delaySeconds: retryDelay(g.msg.attempts) });
  }
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
