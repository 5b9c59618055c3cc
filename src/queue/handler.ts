/**
 * The Worker's queue handler: which consumer reads a batch, by the kind of queue it came from
 * (wrangler.toml). Producers are typed with the contracts of src/domain (Env's EVENTS_QUEUE is a
 * Queue<EventsMessage>, SWEEP_QUEUE a Queue<SweepMessage>); a body arrives `unknown` on purpose:
 * it may come from another version of this code, or be one a dead-letter queue kept, so each
 * consumer parses it with that contract's zod schema before it is trusted.
 */
import { SWEEP_QUEUE } from "../domain/sweep";
import { consumeDeadLetters, consumeEvents } from "./consumer";
import { consumeSweeps } from "./sweep-consumer";

type QueueKind = "events" | "sweep" | "dead-letters";

/** A dead-letter queue is named after the queue it serves: `<queue>-dlq`, and `<queue>-dlq-final` for its own. */
function queueKind(queue: string): QueueKind {
  if (queue === SWEEP_QUEUE) return "sweep";
  if (queue.endsWith("-dlq") || queue.endsWith("-dlq-final")) return "dead-letters";
  return "events";
}

/** Every kind has its consumer (a Record: a new kind without one does not compile). */
const CONSUMERS: Record<QueueKind, (batch: MessageBatch<unknown>, env: Env) => Promise<void>> = {
  events: consumeEvents,
  sweep: consumeSweeps,
  "dead-letters": consumeDeadLetters,
};

export const queueHandler: ExportedHandlerQueueHandler<Env, unknown> = (batch, env) =>
  CONSUMERS[queueKind(batch.queue)](batch, env);
