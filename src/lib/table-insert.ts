/**
 * Insert column lists taken from the table definitions instead of kept by hand: the hot paths
 * write several rows per statement with raw SQL (./multi-row-insert.ts), and a list and its count
 * typed twice drift apart. A list names the fields; the SQL names, their number and each row's
 * values in their order all come from it (test/tenant-log/insert-columns.test.ts holds every list
 * against the tables the migrations create).
 */
import { getTableColumns, getTableName, type Table } from "drizzle-orm";

/** `INSERT INTO <table> (<column>, ...)`, the columns named as the table definition names its fields. */
export function insertHead<T extends Table>(
  table: T,
  fields: readonly (keyof T["_"]["columns"] & string)[],
  verb = "INSERT INTO",
): string {
  const columns = getTableColumns(table);
  return `${verb} ${getTableName(table)} (${fields.map((f) => columns[f]!.name).join(", ")})`;
}

/** One row's values in the order of `fields`. */
export function valuesIn<F extends string>(fields: readonly F[], row: Record<F, unknown>): unknown[] {
  return fields.map((f) => row[f]);
}
