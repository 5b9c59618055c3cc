/**
 * The connections one invocation may hold at once. Workers open at most 6 simultaneous connections
 * per invocation ("Simultaneous open connections", Workers limits); a 7th fetch waits, unsent,
 * until one closes, while its timeout already runs. Attempts therefore take a slot first, and
 * their clock (start, signature timestamp, timeout) starts once they have one.
 */

/** Workers' simultaneous open connections per invocation. */
export const CONNECTIONS_PER_INVOCATION = 6;

export class ConnectionSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size = CONNECTIONS_PER_INVOCATION) {
    this.free = size;
  }

  /** Resolves when a slot is free; call the answer once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: it never counts as free in between.
      if (next) next();
      else this.free++;
    };
  }
}
