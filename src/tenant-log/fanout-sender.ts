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

/** Ids per message: 500 × ~30 bytes stays far inside a queue message's 128 KB. */
export const MAX_IDS_PER_MESSAGE = 500;

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

  /** Resolves once a message naming `ids` is queued; rejects if that send failed. */
  queue(ids: string[]): Promise<void> {
    if (!ids.length) return Promise.resolve();
    let open = this.pending.at(-1);
    if (!open || open.ids.length + ids.length > MAX_IDS_PER_MESSAGE) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      open = { ids: [], done, resolve, reject };
      this.pending.push(open);
    }
    open.ids.push(...ids);
    const done = open.done;
    if (!this.busy) void this.drain();
    return done;
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
