import { env as bindings } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { countRowsWritten } from "../lib/row-usage";
import * as schema from "./schema";

export type Db = ReturnType<typeof makeDb>;

const makeDb = (d1: D1Database) => drizzle(d1, { schema });

const cache = new WeakMap<D1Database, Db>();

/** One drizzle wrapper per D1 binding, reused across requests in an isolate. */
export function getDb(env: { DB: D1Database }): Db {
  let db = cache.get(env.DB);
  if (!db) {
    countD1Rows(env.DB);
    db = makeDb(env.DB);
    cache.set(env.DB, db);
  }
  return db;
}

/**
 * Counts every D1 write's `meta.rows_written` (what Cloudflare bills) into the row usage counters.
 * Patched on the binding's classes, not on one drizzle client, because the hot paths (ingest's
 * batch, the dispatcher's outbox flush) use `env.DB` directly: wrapping only drizzle would miss
 * most of the rows, and a future write added anywhere is counted without anyone remembering to.
 * Drizzle 0.45.4's d1 driver calls `prepare().bind().run() / .all() / .raw()` and `batch()`.
 * `raw()` answers rows without `meta`, so a write through it (drizzle's `.returning()`) runs as
 * `run()` and its rows are turned back into arrays; one table's RETURNING columns never collide.
 * `exec()` (migrations only) reports no rows written and is not counted.
 */
const patched = new WeakSet<object>();
const WRITE = /^\s*(insert|update|delete|replace)\b/i;

function countD1Rows(d1: D1Database) {
  const dbProto = Object.getPrototypeOf(d1) as D1Database;
  const stmtProto = Object.getPrototypeOf(d1.prepare("SELECT 1")) as D1PreparedStatement & { statement?: string };
  if (patched.has(dbProto)) return;
  patched.add(dbProto);
  const count = (r: D1Result | undefined) => countRowsWritten("d1", r?.meta?.rows_written);

  const batch = dbProto.batch;
  dbProto.batch = async function (this: D1Database, statements: D1PreparedStatement[]) {
    const results = await batch.call(this, statements);
    for (const r of results) count(r);
    return results;
  } as typeof batch;

  const run = stmtProto.run;
  stmtProto.run = async function (this: D1PreparedStatement) {
    const r = await run.call(this);
    count(r);
    return r;
  } as typeof run;

  const all = stmtProto.all;
  stmtProto.all = async function (this: D1PreparedStatement) {
    const r = await all.call(this);
    count(r);
    return r;
  } as typeof all;

  const raw = stmtProto.raw;
  stmtProto.raw = async function (
    this: D1PreparedStatement & { statement?: string },
    options?: { columnNames?: boolean },
  ) {
    if (!WRITE.test(this.statement ?? "")) return raw.call(this, options as never);
    const r = await run.call(this);
    count(r);
    const rows = (r.results ?? []) as Record<string, unknown>[];
    const values = rows.map((row) => Object.values(row));
    return options?.columnNames ? [Object.keys(rows[0] ?? {}), ...values] : values;
  } as typeof raw;
}

// At module load too, so a raw `env.DB` write in an isolate that never built a drizzle client
// (a Durable Object flushing its outbox) is counted as well.
if (bindings?.DB) countD1Rows(bindings.DB);
