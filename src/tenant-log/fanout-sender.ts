/**
 * One TenantLog's fan-out messages: appends that arrive while a send is in flight share the next
 * send, so a tenant's concurrent ingests cost one queue operation per round trip instead of one
 * each. Nothing waits for a timer: an append that finds no send in flight sends at once.
 *
 * This lives in the Durable Object on purpose: the requests of one object share its I/O context,
 * so one request may await a send another started. Stateless Worker requests may not (a request
 * that awaits another's work is seen as hung and cancelled: tried and measured, docs/scaling.md).
 * The runtime's output gate holds each send until the appends' writes are durable, so a message
 * never names an event that could still be lost.
 */
import { MAX_EVENTS_PER_FANOUT_MESSAGE } from "../domain/queue-messages";

/** Ids per message: the consumer's schema takes this many and no more (one constant, src/domain). */
export const MAX_IDS_PER_MESSAGE = MAX_EVENTS_PER_FANOUT_MESSAGE;

interface Batch {
  ids: string[];
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class FanoutSender {
  private readonly pending: Batch[] = [];
  private busy = false;

  constructor(private readonly send: (ids: string[]) => Promise<void>) {}

  /**
   * Resolves once messages naming all of `ids` are queued; rejects if one of those sends failed.
   * `ids` join the message still waiting while it has room; the rest (ids of one append may span
   * two messages) open the next ones, so no message ever names more than MAX_IDS_PER_MESSAGE.
   */
  queue(ids: string[]): Promise<void> {
    if (!ids.length) return Promise.resolve();
    const carriers: Promise<void>[] = [];
    let rest = ids;
    while (rest.length) {
      let open = this.pending.at(-1);
      if (!open || open.ids.length >= MAX_IDS_PER_MESSAGE) {
        open = newBatch();
        this.pending.push(open);
      }
      const room = MAX_IDS_PER_MESSAGE - open.ids.length;
      open.ids.push(...rest.slice(0, room));
      rest = rest.slice(room);
      carriers.push(open.done);
    }
    if (!this.busy) void this.drain();
    return carriers.length === 1 ? carriers[0]! : Promise.all(carriers).then(() => undefined);
  }

  private async drain() {
    this.busy = true;
    try {
      for (let batch = this.pending.shift(); batch; batch = this.pending.shift()) {
        try {
          await this.send(batch.ids);
          batch.resolve();
        } catch (e) {
          batch.reject(e);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch whose append failed elsewhere must not turn into an unhandled rejection.
  done.catch(() => {});
  return { ids: [], done, resolve, reject };
}
