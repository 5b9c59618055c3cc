/**
 * The hot paths' insert column lists (src/lib/table-insert.ts) against the tables the migrations
 * really create: every listed column exists, none is listed twice, and every column that is NOT
 * NULL without a default is listed (an insert without it would fail at run time, on the hot path).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getTableColumns } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { STATS_COLUMNS } from "../../src/attempts/stats-rollup";
import { dispatcherFor } from "../../src/dispatcher/client";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { PENDING_INSERT } from "../../src/dispatcher/storage";
import { deliveries, events } from "../../src/tenant-log/schema";
import { DELIVERY_INSERT, EVENT_INSERT, type TenantLog } from "../../src/tenant-log/tenant-log";
import { tenantLogStub } from "../helpers/tenant-log";

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

const ddl = (sql: SqlStorage, table: string) =>
  sql.exec(`PRAGMA table_info(${table})`).toArray() as unknown as ColumnInfo[];

/** A single INTEGER PRIMARY KEY is the rowid: SQLite fills it when an insert leaves it out. */
const isRowid = (c: ColumnInfo, table: ColumnInfo[]) =>
  c.pk === 1 && table.filter((t) => t.pk).length === 1 && /^integer$/i.test(c.type);

function mismatches(listed: readonly string[], table: ColumnInfo[]) {
  const names = new Set(table.map((c) => c.name));
  return {
    unknown: listed.filter((c) => !names.has(c)),
    twice: listed.filter((c, i) => listed.indexOf(c) !== i),
    missing: table
      .filter((c) => c.notnull && c.dflt_value === null && !isRowid(c, table))
      .map((c) => c.name)
      .filter((c) => !listed.includes(c)),
  };
}

const sqlNames = (table: typeof events | typeof deliveries, fields: readonly string[]) =>
  fields.map((f) => (getTableColumns(table) as Record<string, { name: string }>)[f]!.name);

const none = { unknown: [], twice: [], missing: [] };

describe("insert column lists match the migrations' tables", () => {
  it("the TenantLog's events, deliveries and delivery_stats", async () => {
    const tables = await runInDurableObject(
      tenantLogStub(`cols_${Date.now().toString(36)}`),
      (_i: TenantLog, state) => ({
        events: ddl(state.storage.sql, "events"),
        deliveries: ddl(state.storage.sql, "deliveries"),
        stats: ddl(state.storage.sql, "delivery_stats"),
      }),
    );
    expect(tables.events.length).toBeGreaterThan(0);
    expect(mismatches(sqlNames(events, EVENT_INSERT), tables.events)).toEqual(none);
    expect(mismatches(sqlNames(deliveries, DELIVERY_INSERT), tables.deliveries)).toEqual(none);
    expect(mismatches(STATS_COLUMNS, tables.stats)).toEqual(none);
  });

  it("the dispatcher's pending rows", async () => {
    const table = await runInDurableObject(
      dispatcherFor(env, `ep_cols${Date.now().toString(36)}`),
      (_i: EndpointDispatcher, state) => ddl(state.storage.sql, "pending"),
    );
    expect(table.length).toBeGreaterThan(0);
    expect(mismatches(PENDING_INSERT, table)).toEqual(none);
  });

  it("the check catches a list that drifted", () => {
    const table: ColumnInfo[] = [
      { name: "id", type: "TEXT", notnull: 1, dflt_value: null, pk: 1 },
      { name: "a", type: "INTEGER", notnull: 1, dflt_value: null, pk: 0 },
      { name: "b", type: "TEXT", notnull: 0, dflt_value: null, pk: 0 },
    ];
    expect(mismatches(["id", "b", "c", "b"], table)).toEqual({ unknown: ["c"], twice: ["b"], missing: ["a"] });
    expect(
      mismatches(["a"], [{ name: "seq", type: "INTEGER", notnull: 0, dflt_value: null, pk: 1 }, ...table.slice(1)])
        .missing,
    ).toEqual([]);
  });
});
