/**
 * Counts the subrequests one invocation makes, the way the platform counts them against its
 * per-invocation cap: each D1 query (a statement's run/all/first/raw, a batch), each queue send
 * (send/sendBatch) and each Durable Object RPC. The env it answers forwards every call to the real
 * bindings; queue sends can instead be kept (`keepSends`), so a test can deliver them itself to the
 * consumer (createMessageBatch) instead of racing the local queue's own delivery.
 */

export interface Counted {
  env: Env;
  /** Subrequests made through `env` so far. */
  count: number;
  /** Messages sent per queue binding, when kept. */
  sent: Record<string, unknown[]>;
  reset(): void;
}

const STATEMENT_CALLS = new Set(["run", "all", "first", "raw"]);

export function countingEnv(real: Env, opts: { keepSends?: string[] } = {}): Counted {
  const counted: Counted = {
    env: undefined as unknown as Env,
    count: 0,
    sent: {},
    reset() {
      counted.count = 0;
      counted.sent = {};
    },
  };
  const tick = () => void counted.count++;

  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => statement(Reflect.apply(value, target, args));
        if (STATEMENT_CALLS.has(String(prop)))
          return (...args: unknown[]) => {
            tick();
            return Reflect.apply(value, target, args);
          };
        return value.bind(target);
      },
    });

  const d1 = (db: D1Database): D1Database =>
    new Proxy(db, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "prepare") return (sql: string) => statement(value.call(target, sql));
        if (prop === "batch")
          return (statements: D1PreparedStatement[]) => {
            tick();
            return value.call(target, statements);
          };
        return value.bind(target);
      },
    });

  const queue = (name: string, q: Queue<unknown>): Queue<unknown> => {
    const keep = opts.keepSends?.includes(name) ?? false;
    const kept = (bodies: unknown[]) => {
      counted.sent[name] = [...(counted.sent[name] ?? []), ...bodies];
    };
    return {
      async send(body: unknown, o?: QueueSendOptions) {
        tick();
        if (keep) kept([body]);
        else await q.send(body, o);
      },
      async sendBatch(messages: Iterable<MessageSendRequest<unknown>>, o?: QueueSendBatchOptions) {
        tick();
        const list = [...messages];
        if (keep) kept(list.map((m) => m.body));
        else await q.sendBatch(list, o);
      },
    } as unknown as Queue<unknown>;
  };

  // Every method called on a stub is one RPC, one subrequest.
  const stub = <T extends object>(s: T): T =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === "then" || typeof prop === "symbol") return undefined;
        const value = Reflect.get(target, prop, target);
        if (prop === "id" || prop === "name" || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          tick();
          return Reflect.apply(value, target, args);
        };
      },
    });

  const namespace = <T extends DurableObjectNamespace<any>>(ns: T): T =>
    new Proxy(ns, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "getByName" || prop === "get")
          return (...args: unknown[]) => stub(Reflect.apply(value, target, args));
        return value.bind(target);
      },
    });

  const wrapped: Record<string, unknown> = { ...(real as unknown as Record<string, unknown>) };
  wrapped.DB = d1(real.DB);
  for (const [key, value] of Object.entries(real as unknown as Record<string, unknown>)) {
    if (key.endsWith("_QUEUE")) wrapped[key] = queue(key, value as Queue<unknown>);
  }
  wrapped.TENANT_LOG = namespace(real.TENANT_LOG);
  wrapped.DISPATCHER = namespace(real.DISPATCHER);
  counted.env = wrapped as unknown as Env;
  return counted;
}
