import { and, gte, isNull, lt, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { StatusClass } from "../domain/deliveries";

/** "4xx" → 400 <= code < 500; "none" → no HTTP answer at all (timeout, connection, blocked). */
export function codeClass(column: SQLiteColumn, cls: StatusClass): SQL {
  if (cls === "none") return isNull(column);
  const base = Number(cls[0]) * 100;
  return and(gte(column, base), lt(column, base + 100))!;
}
