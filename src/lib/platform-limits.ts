/**
 * Cloudflare's documented per-call and per-invocation limits, and a layer that checks them where
 * each applies, so `npm test` and `npm start` are as strict as production. `wrangler dev` enforces
 * few of them (it refuses RPC values over 32 MiB and statements over 100 bound parameters, but
 * accepts ~10 MB rows, any number of subrequests and Analytics points), so green locally would
 * otherwise say nothing about them.
 *
 * The layer is installed only when the Worker's `PLATFORM_LIMITS` var is `enforce` (the tests set
 * it in vitest.config.ts, `npm start` passes it to wrangler dev; a deploy never sets it): then
 * src/index.ts wraps the Worker's handlers and Durable Object classes once, at load. Off, nothing
 * is wrapped and production runs the plain bindings: it pays nothing.
 *
 * Crossing a limit throws PlatformLimitError naming the limit, the value and the bound. The
 * largest value each check admitted is kept per isolate (largestSeen) so the test run can print it
 * beside its limit.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { log } from "./log";

// ---- the limits -------------------------------------------------------------------------------

/**
 * Serialized size of one RPC argument list or answer (Durable Object stubs, Workers RPC). Workers RPC
 * serializes with the structured-clone format and refuses a message over 32 MiB, locally too.
 * https://developers.cloudflare.com/workers/runtime-apis/rpc/
 */
export const RPC_MESSAGE_BYTES = 32 * 1024 * 1024;
/**
 * "Maximum string, BLOB or table row size: 2 MB" (SQLite-backed Durable Objects). The local
 * runtime accepts ~10 MB, so only this check catches it before production does.
 * https://developers.cloudflare.com/durable-objects/platform/limits/
 */
export const SQLITE_ROW_BYTES = 2_000_000;
/** "Maximum SQL statement length: 100 KB" (same page). */
const SQL_STATEMENT_BYTES = 100_000;
/** "Maximum bound parameters per query: 100" (same page). */
export const SQL_BOUND_PARAMETERS = 100;
/**
 * Ids bound one by one in an `IN (...)` list of one statement (D1 and Durable Object SQLite alike):
 * under SQL_BOUND_PARAMETERS with room for the statement's other parameters.
 */
export const IDS_PER_IN_LIST = 90;
/**
 * "Message size: 128 KB" where 1 KB is 1000 bytes, and "messages can include up to ~100 bytes of
 * internal metadata that counts towards total message limits".
 * https://developers.cloudflare.com/queues/platform/limits/
 */
export const QUEUE_MESSAGE_BYTES = 128_000;
export const QUEUE_MESSAGE_METADATA_BYTES = 100;
/** sendBatch(): at most 100 messages and 256 KB in total per call (same page; JavaScript APIs). */
const QUEUE_BATCH_MESSAGES = 100;
const QUEUE_BATCH_BYTES = 256_000;
/**
 * Subrequests per invocation on Workers Paid: 10,000 (the limits page; it was 1,000 before 2025
 * and is 50 on Workers Free). Counted here: fetch(), Durable Object RPC calls, queue sends and D1
 * queries. https://developers.cloudflare.com/workers/platform/limits/#subrequests
 */
export const SUBREQUESTS_PER_INVOCATION = 10_000;
/**
 * "Simultaneous outgoing connections/request: 6" (Workers and Durable Objects alike). The
 * platform queues the 7th instead of failing it, so an attempt's timer that starts before its
 * connection opens can expire unsent; the check refuses a 7th fetch() in flight in one invocation.
 * https://developers.cloudflare.com/workers/platform/limits/#simultaneous-open-connections
 */
export const OPEN_CONNECTIONS_PER_INVOCATION = 6;
/**
 * "You can write a maximum of 250 data points per Worker invocation": the 251st writeDataPoint()
 * is dropped by the platform without an error.
 * https://developers.cloudflare.com/analytics/analytics-engine/limits/
 */
export const ANALYTICS_POINTS_PER_INVOCATION = 250;
/**
 * CPU per invocation: 30 s by default (Workers Paid and Durable Objects, configurable to 5 min).
 * Not checked: workerd stops Date.now() and performance.now() while JavaScript runs (a Spectre
 * mitigation), so an invocation cannot measure its own CPU time; bounded work per call (the
 * other limits, and each unit of work's named bound) is what keeps it under.
 * https://developers.cloudflare.com/workers/platform/limits/#cpu-time
 */
export const CPU_MS_PER_INVOCATION = 30_000;

const LIMITS = {
  rpc_message_bytes: { bound: RPC_MESSAGE_BYTES, what: "RPC argument or answer (bytes)" },
  sqlite_row_bytes: { bound: SQLITE_ROW_BYTES, what: "SQLite row (bytes)" },
  sql_statement_bytes: { bound: SQL_STATEMENT_BYTES, what: "SQL statement (bytes)" },
  sql_bound_parameters: { bound: SQL_BOUND_PARAMETERS, what: "SQL bound parameters" },
  queue_message_bytes: { bound: QUEUE_MESSAGE_BYTES, what: "queue message with metadata (bytes)" },
  queue_batch_messages: { bound: QUEUE_BATCH_MESSAGES, what: "queue sendBatch messages" },
  queue_batch_bytes: { bound: QUEUE_BATCH_BYTES, what: "queue sendBatch (bytes)" },
  subrequests: { bound: SUBREQUESTS_PER_INVOCATION, what: "subrequests per invocation" },
  open_connections: { bound: OPEN_CONNECTIONS_PER_INVOCATION, what: "open connections per invocation" },
  analytics_points: { bound: ANALYTICS_POINTS_PER_INVOCATION, what: "Analytics points per invocation" },
} as const;
type LimitName = keyof typeof LIMITS;

export class PlatformLimitError extends Error {
  constructor(
    readonly limit: LimitName,
    readonly value: number,
    readonly bound: number,
    where: string,
  ) {
    super(`platform limit ${limit} crossed: ${value} > ${bound} (${LIMITS[limit].what}) at ${where}`);
    this.name = "PlatformLimitError";
  }
}

// ---- what was seen ----------------------------------------------------------------------------

const largest = new Map<LimitName, { value: number; where: string }>();
const refused = new Map<LimitName, number>();

/** Checks one value against its limit: throws past it, else remembers it if it is the largest yet. */
function check(limit: LimitName, value: number, at: string | (() => string)): void {
  const { bound } = LIMITS[limit];
  const where = () => (typeof at === "string" ? at : at());
  if (value > bound) {
    refused.set(limit, (refused.get(limit) ?? 0) + 1);
    // Logged too: a caller that turns errors into outcomes (an attempt's fetch) must not hide it.
    log.error("platform_limit.crossed", { limit, value, bound, where: where() });
    throw new PlatformLimitError(limit, value, bound, where());
  }
  const seen = largest.get(limit);
  if (!seen || value > seen.value) largest.set(limit, { value, where: where() });
}

export interface LimitReport {
  limit: LimitName;
  bound: number;
  largest: number | null;
  where: string | null;
  refused: number;
}

/** The largest admitted value of each limit in this isolate, and how many values were refused. */
/** Forgets what was seen: the layer's own tests cross every limit on purpose, and say nothing of the code. */
export function forgetSeen(): void {
  largest.clear();
  refused.clear();
}

export function largestSeen(): LimitReport[] {
  return (Object.keys(LIMITS) as LimitName[]).map((limit) => ({
    limit,
    bound: LIMITS[limit].bound,
    largest: largest.get(limit)?.value ?? null,
    where: largest.get(limit)?.where ?? null,
    refused: refused.get(limit) ?? 0,
  }));
}

// ---- sizes ------------------------------------------------------------------------------------

/** UTF-8 length without allocating the encoded bytes. */
export function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * Structured-clone size estimate (V8's serializer, which RPC and `v8` queue messages use): Latin-1
 * strings take a byte per character, others two; numbers 9; buffers their length; a few bytes of
 * tag per value. Within a few percent of the real encoding for the JSON-like values passed here.
 */
export function serializedSize(value: unknown, seen = new Set<object>()): number {
  switch (typeof value) {
    case "string":
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the Latin-1 range is the point
      return 5 + (/[^\u0000-\u00ff]/.test(value) ? 2 * value.length : value.length);
    case "number":
    case "bigint":
      return 9;
    case "boolean":
    case "undefined":
      return 1;
    case "function":
    case "symbol":
      return 1;
  }
  if (value === null) return 1;
  const obj = value as object;
  if (seen.has(obj)) return 5; // a back-reference
  seen.add(obj);
  if (obj instanceof ArrayBuffer) return 5 + obj.byteLength;
  if (ArrayBuffer.isView(obj)) return 10 + obj.byteLength;
  if (obj instanceof Date) return 9;
  let n = 5;
  if (Array.isArray(obj)) {
    for (const v of obj) n += serializedSize(v, seen);
    return n;
  }
  if (obj instanceof Map) {
    for (const [k, v] of obj) n += serializedSize(k, seen) + serializedSize(v, seen);
    return n;
  }
  if (obj instanceof Set) {
    for (const v of obj) n += serializedSize(v, seen);
    return n;
  }
  for (const [k, v] of Object.entries(obj)) n += serializedSize(k, seen) + serializedSize(v, seen);
  return n;
}

/** A queue message body's size as the queue stores it, by its content type (default `v8`). */
function queueBodyBytes(body: unknown, contentType?: string): number {
  if (contentType === "json") return utf8Bytes(JSON.stringify(body) ?? "");
  if (contentType === "text") return utf8Bytes(String(body));
  if (contentType === "bytes") return (body as ArrayBuffer | ArrayBufferView).byteLength;
  return serializedSize(body);
}

const paramBytes = (v: unknown): number =>
  typeof v === "string"
    ? utf8Bytes(v)
    : v instanceof ArrayBuffer || ArrayBuffer.isView(v)
      ? v.byteLength
      : v === null || v === undefined
        ? 1
        : 8;

/**
 * The largest row a write statement stores, from its bound values: per VALUES tuple for an
 * INSERT of several rows, else all of them (an UPDATE's new values). A lower bound: the columns a
 * statement leaves as they are, and values computed in SQL, are not seen.
 */
export function writtenRowBytes(query: string, params: unknown[]): number {
  if (!/^\s*(INSERT|REPLACE|UPDATE)\b/i.test(query) || !params.length) return 0;
  const tuple = /\bVALUES\s*\(([^)]*)\)/i.exec(query)?.[1];
  const perRow = tuple ? (tuple.match(/\?/g) ?? []).length : 0;
  if (perRow > 0 && perRow < params.length && params.length % perRow === 0) {
    let max = 0;
    for (let i = 0; i < params.length; i += perRow) {
      let row = 0;
      for (let j = i; j < i + perRow; j++) row += paramBytes(params[j]);
      max = Math.max(max, row);
    }
    return max;
  }
  return params.reduce<number>((sum, p) => sum + paramBytes(p), 0);
}

// ---- the invocation -----------------------------------------------------------------------------

interface Invocation {
  owner: object;
  subrequests: number;
  open: number;
  points: number;
}

const invocations = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` as one invocation of `owner` (a Worker event, or a Durable Object's RPC call or
 * alarm): its subrequests, open connections and Analytics points are counted together. A call
 * the same object makes to itself stays in the invocation it is part of.
 */
export function inInvocation<T>(owner: object, fn: () => T): T {
  if (invocations.getStore()?.owner === owner) return fn();
  return invocations.run({ owner, subrequests: 0, open: 0, points: 0 }, fn);
}

function countSubrequest(where: string) {
  const inv = invocations.getStore();
  if (inv) check("subrequests", ++inv.subrequests, where);
}

/** Counts one Analytics data point against the invocation (throws on the 251st). */
function countDataPoint(where: string) {
  const inv = invocations.getStore();
  if (inv) check("analytics_points", ++inv.points, where);
}

// ---- the checked bindings -----------------------------------------------------------------------

/** Methods of a stub that are not RPC calls of the object's class. */
const NOT_RPC = new Set(["then", "fetch", "connect", "dup", "constructor"]);

/** A Durable Object stub whose RPC calls are counted and whose arguments and answers are sized. */
export function checkedStub<T extends object>(stub: T, label: string): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== "string" || typeof value !== "function" || NOT_RPC.has(prop)) return value;
      return async (...args: unknown[]) => {
        const where = `${label}.${prop}`;
        countSubrequest(where);
        check("rpc_message_bytes", serializedSize(args), `${where} arguments`);
        const answer: unknown = await Reflect.apply(value, target, args);
        check("rpc_message_bytes", serializedSize(answer), `${where} answer`);
        return answer;
      };
    },
  });
}

/** A Durable Object namespace whose stubs are checked. */
export function checkedNamespace<T extends object>(ns: T, label: string): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName")
        return (...args: unknown[]) => checkedStub((value as (...a: unknown[]) => object).apply(target, args), label);
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** A queue producer whose messages and batches are sized and whose sends are counted. */
export function checkedQueue<T extends Queue>(queue: T, label: string): T {
  const send: Queue["send"] = (body, options) => {
    countSubrequest(`${label}.send`);
    check(
      "queue_message_bytes",
      queueBodyBytes(body, options?.contentType) + QUEUE_MESSAGE_METADATA_BYTES,
      `${label}.send`,
    );
    return queue.send(body, options);
  };
  const sendBatch: Queue["sendBatch"] = (messages, options) => {
    const list = [...messages];
    const where = `${label}.sendBatch`;
    countSubrequest(where);
    check("queue_batch_messages", list.length, where);
    let total = 0;
    for (const m of list) {
      const bytes = queueBodyBytes(m.body, m.contentType) + QUEUE_MESSAGE_METADATA_BYTES;
      check("queue_message_bytes", bytes, where);
      total += bytes;
    }
    check("queue_batch_bytes", total, where);
    return queue.sendBatch(list, options);
  };
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") return send;
      if (prop === "sendBatch") return sendBatch;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** An Analytics Engine dataset whose points are counted per invocation. */
export function checkedDataset(dataset: AnalyticsEngineDataset, label: string): AnalyticsEngineDataset {
  return {
    writeDataPoint(point) {
      countDataPoint(`${label}.writeDataPoint`);
      dataset.writeDataPoint(point);
    },
  };
}

/** A D1 database whose queries count as subrequests. */
function checkedD1(db: D1Database, label: string): D1Database {
  const statement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (prop === "bind")
          return (...args: unknown[]) =>
            statement((value as (...a: unknown[]) => D1PreparedStatement).apply(target, args));
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw")
          return (...args: unknown[]) => {
            countSubrequest(`${label}.${prop}`);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch" || prop === "exec")
        return (...args: unknown[]) => {
          countSubrequest(`${label}.${prop}`);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** A Durable Object's SQL whose statements are checked for length, parameters and row size. */
function checkedSql(sql: SqlStorage, label: string): SqlStorage {
  const exec: SqlStorage["exec"] = (query, ...params) => {
    const where = () => `${label} ${query.replace(/\s+/g, " ").trim().slice(0, 60)}`;
    check("sql_statement_bytes", utf8Bytes(query), where);
    check("sql_bound_parameters", params.length, where);
    const row = writtenRowBytes(query, params);
    if (row) check("sqlite_row_bytes", row, where);
    return sql.exec(query, ...params);
  };
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") return exec;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Checks the statements of a Durable Object's `storage.sql` (drizzle's and raw ones alike). The
 * runtime accepts only its own DurableObjectState in the constructor, so the state cannot be
 * wrapped: its storage's `sql` is replaced by the checked one before the object reads it.
 */
const checkedStorages = new WeakSet<object>();

function checkStateSql(state: DurableObjectState, label: string): void {
  const storage = state.storage;
  if (checkedStorages.has(storage)) return;
  checkedStorages.add(storage);
  const sql = checkedSql(storage.sql, label);
  Object.defineProperty(storage, "sql", { value: sql, configurable: true });
  if (state.storage.sql !== sql) throw new Error("platform limits: could not install the checked SQL on storage");
}

/** Which bindings of the Worker's env to check, by kind. */
export interface BindingKinds {
  durableObjects: string[];
  queues: string[];
  datasets: string[];
  databases: string[];
}

const checkedEnvs = new WeakMap<object, object>();

/** The env with its bindings checked (one wrapper per env object, so identity-keyed caches hold). */
export function checkedEnv<E extends object>(env: E, kinds: BindingKinds): E {
  const known = checkedEnvs.get(env);
  if (known) return known as E;
  const wrapped = new Map<string, unknown>();
  const wrap = (name: string, value: unknown): unknown => {
    if (!value || typeof value !== "object") return value;
    if (kinds.durableObjects.includes(name)) return checkedNamespace(value, name);
    if (kinds.queues.includes(name)) return checkedQueue(value as Queue, name);
    if (kinds.datasets.includes(name)) return checkedDataset(value as AnalyticsEngineDataset, name);
    if (kinds.databases.includes(name)) return checkedD1(value as D1Database, name);
    return value;
  };
  const proxy = new Proxy(env, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== "string") return value;
      if (!wrapped.has(prop)) wrapped.set(prop, wrap(prop, value));
      return wrapped.get(prop);
    },
  });
  checkedEnvs.set(env, proxy);
  return proxy;
}

/**
 * fetch() counted as a subrequest and as an open connection of its invocation until its answer's
 * headers arrive (the body's read is not followed: a lower bound of the time it is open).
 */
export function checkedFetch(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const inv = invocations.getStore();
    if (!inv) return inner(input, init);
    countSubrequest("fetch");
    check("open_connections", inv.open + 1, "fetch");
    inv.open++;
    try {
      return await inner(input, init);
    } finally {
      inv.open--;
    }
  };
}

type DurableObjectClass = new (ctx: DurableObjectState, env: never) => object;

/**
 * The class with every call of its prototype's methods (each RPC call, the alarm) run as one
 * invocation, its state's SQL and its env's bindings checked.
 */
export function checkedDurableObject<C extends DurableObjectClass>(Base: C, kinds: BindingKinds): C {
  const Checked = class extends (Base as unknown as new (ctx: DurableObjectState, env: object) => object) {
    constructor(ctx: DurableObjectState, env: object) {
      checkStateSql(ctx, Base.name);
      super(ctx, checkedEnv(env, kinds));
    }
  };
  for (const name of Object.getOwnPropertyNames(Base.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Base.prototype, name);
    if (name === "constructor" || typeof d?.value !== "function") continue;
    // The base's method is looked up at each call, not captured here: a method replaced on the
    // base prototype later (a test's fault injection) must still run inside the checks.
    const proto = Base.prototype as Record<string, (...a: unknown[]) => unknown>;
    Object.defineProperty(Checked.prototype, name, {
      ...d,
      value(this: object, ...args: unknown[]) {
        return inInvocation(this, () => proto[name]!.apply(this, args));
      },
    });
  }
  Object.defineProperty(Checked, "name", { value: Base.name });
  return Checked as unknown as C;
}

/** `PLATFORM_LIMITS=enforce` turns the layer on (tests, `npm start`); anything else leaves it off. */
export function platformLimitsEnforced(env: { PLATFORM_LIMITS?: string } | undefined): boolean {
  return env?.PLATFORM_LIMITS === "enforce";
}
