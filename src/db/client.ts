import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof makeDb>;

const makeDb = (d1: D1Database) => drizzle(d1, { schema });

const cache = new WeakMap<D1Database, Db>();

/** One drizzle wrapper per D1 binding, reused across requests in an isolate. */
export function getDb(env: { DB: D1Database }): Db {
  let db = cache.get(env.DB);
  if (!db) {
    db = makeDb(env.DB);
    cache.set(env.DB, db);
  }
  return db;
}
