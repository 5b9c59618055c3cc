/**
 * The platform-limits layer (src/lib/platform-limits.ts): each check throws a PlatformLimitError
 * naming its limit once a value crosses it, at the wrapper and through the real bindings the tests
 * run with (PLATFORM_LIMITS=enforce in vitest.config.ts).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import worker, { TenantLog } from "../../src/index";
import {
  ANALYTICS_POINTS_PER_INVOCATION,
  checkedDataset,
  checkedFetch,
  checkedNamespace,
  checkedQueue,
  checkedStub,
  forgetSeen,
  inInvocation,
  largestSeen,
  OPEN_CONNECTIONS_PER_INVOCATION,
  PlatformLimitError,
  platformLimitsEnforced,
  QUEUE_MESSAGE_BYTES,
  QUEUE_MESSAGE_METADATA_BYTES,
  RPC_MESSAGE_BYTES,
  SQL_BOUND_PARAMETERS,
  SQLITE_ROW_BYTES,
  SUBREQUESTS_PER_INVOCATION,
  serializedSize,
  utf8Bytes,
  writtenRowBytes,
} from "../../src/lib/platform-limits";
import { TenantLog as PlainTenantLog } from "../../src/tenant-log/tenant-log";
import { uniqueTenantId } from "../helpers/api";

/** Runs `fn` and answers the PlatformLimitError it threw (fails if it threw nothing or something else). */
async function refusal(fn: () => unknown): Promise<PlatformLimitError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof PlatformLimitError) return err;
    throw err;
  }
  throw new Error("no limit was crossed");
}

const MiB = 1024 * 1024;

// This file crosses every limit on purpose: what it saw says nothing of the code, so the run's
// table (test/reporter.ts) leaves it out. vitest runs after-hooks as a stack: this one before setup.ts's.
afterAll(() => forgetSeen());

describe("platform limits: the layer is on in tests", () => {
  it("PLATFORM_LIMITS=enforce turns it on; anything else leaves the plain classes and handlers", () => {
    expect(platformLimitsEnforced(env as { PLATFORM_LIMITS?: string })).toBe(true);
    expect(platformLimitsEnforced({})).toBe(false);
    expect(platformLimitsEnforced({ PLATFORM_LIMITS: "off" })).toBe(false);
    // Enforcing: the exported Durable Object is the checked subclass of the plain one.
    expect(TenantLog).not.toBe(PlainTenantLog);
    expect(Object.getPrototypeOf(TenantLog)).toBe(PlainTenantLog);
    expect(typeof worker.fetch).toBe("function");
  });
});

describe("platform limits: sizes", () => {
  it("estimates the structured-clone size of strings, objects and buffers", () => {
    expect(serializedSize("a".repeat(MiB))).toBeGreaterThanOrEqual(MiB);
    expect(serializedSize("é".repeat(1000))).toBeLessThan(1100); // Latin-1: a byte each
    expect(serializedSize("€".repeat(1000))).toBeGreaterThanOrEqual(2000); // two-byte
    expect(serializedSize({ a: [1, 2, 3], b: new Uint8Array(5000) })).toBeGreaterThan(5000);
    const cyclic: Record<string, unknown> = { s: "x".repeat(100) };
    cyclic.self = cyclic;
    expect(serializedSize(cyclic)).toBeLessThan(200);
    expect(utf8Bytes("a€😀")).toBe(1 + 3 + 4);
  });

  it("a multi-row INSERT's row size is its largest tuple; an UPDATE's is all its values", () => {
    const big = "x".repeat(1_500_000);
    expect(writtenRowBytes("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)", ["k1", big, "k2", big])).toBe(1_500_002);
    expect(writtenRowBytes("UPDATE t SET a = ?, b = ? WHERE id = ?", [big, big, "id"])).toBe(3_000_002);
    expect(writtenRowBytes("SELECT ? FROM t", [big])).toBe(0);
  });
});

describe("platform limits: Durable Object RPC", () => {
  it("an answer over 32 MiB throws rpc_message_bytes", async () => {
    const stub = checkedStub({ huge: async () => "a".repeat(RPC_MESSAGE_BYTES + 1), small: async () => "ok" }, "FAKE");
    expect(await stub.small()).toBe("ok");
    const err = await refusal(() => stub.huge());
    expect(err.limit).toBe("rpc_message_bytes");
    expect(err.bound).toBe(RPC_MESSAGE_BYTES);
    expect(err.message).toContain("FAKE.huge answer");
  });

  it("an argument over 32 MiB to a real TenantLog stub throws before it is sent", async () => {
    const ns = checkedNamespace(env.TENANT_LOG, "TENANT_LOG");
    const stub = ns.getByName(uniqueTenantId());
    expect(await stub.getEvent("evt_none")).toBeNull(); // an ordinary call passes through
    const err = await refusal(() => stub.getEvent("e".repeat(RPC_MESSAGE_BYTES)));
    expect(err.limit).toBe("rpc_message_bytes");
    expect(err.message).toContain("TENANT_LOG.getEvent arguments");
  });
});

describe("platform limits: Durable Object SQL (the object's own storage.sql)", () => {
  const inLog = <T>(fn: (sql: SqlStorage) => T) =>
    runInDurableObject(env.TENANT_LOG.getByName(uniqueTenantId()), (_i: PlainTenantLog, state) =>
      fn(state.storage.sql),
    );

  it("a row over 2 MB throws sqlite_row_bytes (the local runtime would store it)", async () => {
    await inLog((sql) => sql.exec("INSERT INTO meta (k, v) VALUES (?, ?)", "fits", "x".repeat(SQLITE_ROW_BYTES - 100)));
    const err = await refusal(() =>
      inLog((sql) => sql.exec("INSERT INTO meta (k, v) VALUES (?, ?)", "big", "x".repeat(SQLITE_ROW_BYTES))),
    );
    expect(err.limit).toBe("sqlite_row_bytes");
    expect(err.message).toContain("TenantLog INSERT INTO meta");
  });

  it("101 bound parameters throw sql_bound_parameters", async () => {
    const params = Array.from({ length: SQL_BOUND_PARAMETERS + 1 }, (_, i) => i);
    const err = await refusal(() => inLog((sql) => sql.exec(`SELECT ${params.map(() => "?").join(", ")}`, ...params)));
    expect(err.limit).toBe("sql_bound_parameters");
    expect(err.value).toBe(101);
  });

  it("a statement over 100 KB throws sql_statement_bytes", async () => {
    const err = await refusal(() => inLog((sql) => sql.exec(`SELECT 1 /* ${"x".repeat(100_000)} */`)));
    expect(err.limit).toBe("sql_statement_bytes");
  });
});

describe("platform limits: queue producer", () => {
  const queue = checkedQueue(env.EVENTS_QUEUE as Queue<unknown>, "EVENTS_QUEUE");

  it("a message over 128 KB (with its ~100 bytes of metadata) throws queue_message_bytes", async () => {
    const body = { pad: "a".repeat(QUEUE_MESSAGE_BYTES - QUEUE_MESSAGE_METADATA_BYTES) };
    const err = await refusal(() => queue.send(body, { contentType: "json" }));
    expect(err.limit).toBe("queue_message_bytes");
    expect(err.value).toBe(utf8Bytes(JSON.stringify(body)) + QUEUE_MESSAGE_METADATA_BYTES);
  });

  it("a batch of 101 messages, or over 256 KB, throws", async () => {
    const many = Array.from({ length: 101 }, () => ({ body: { kind: "x" }, contentType: "json" as const }));
    expect((await refusal(() => queue.sendBatch(many))).limit).toBe("queue_batch_messages");
    const heavy = Array.from({ length: 3 }, () => ({
      body: { pad: "a".repeat(100_000) },
      contentType: "json" as const,
    }));
    expect((await refusal(() => queue.sendBatch(heavy))).limit).toBe("queue_batch_bytes");
  });

  it("through the Worker's own producer: a TenantLog's fan-out send is checked", async () => {
    // The TenantLog's env is the checked one: its EVENTS_QUEUE refuses what production would.
    const err = await refusal(() =>
      runInDurableObject(env.TENANT_LOG.getByName(uniqueTenantId()), (instance: PlainTenantLog) =>
        (instance as unknown as { env: { EVENTS_QUEUE: Queue<unknown> } }).env.EVENTS_QUEUE.send(
          { pad: "a".repeat(QUEUE_MESSAGE_BYTES) },
          { contentType: "json" },
        ),
      ),
    );
    expect(err.limit).toBe("queue_message_bytes");
    expect(err.message).toContain("EVENTS_QUEUE.send");
  });
});

describe("platform limits: per invocation", () => {
  it("the 251st Analytics point of one invocation throws; the next invocation starts again", () => {
    const written: AnalyticsEngineDataPoint[] = [];
    const dataset = checkedDataset({ writeDataPoint: (p) => void written.push(p!) }, "DS");
    inInvocation({}, () => {
      for (let i = 0; i < ANALYTICS_POINTS_PER_INVOCATION; i++) dataset.writeDataPoint({ doubles: [i] });
      expect(() => dataset.writeDataPoint({ doubles: [250] })).toThrow(PlatformLimitError);
    });
    inInvocation({}, () => dataset.writeDataPoint({ doubles: [0] }));
    expect(written).toHaveLength(ANALYTICS_POINTS_PER_INVOCATION + 1);
  });

  it("a call an object makes to itself stays in its invocation; another object's call is its own", () => {
    const owner = {};
    const dataset = checkedDataset({ writeDataPoint: () => {} }, "DS");
    inInvocation(owner, () => {
      for (let i = 0; i < ANALYTICS_POINTS_PER_INVOCATION; i++) dataset.writeDataPoint({});
      expect(() => inInvocation(owner, () => dataset.writeDataPoint({}))).toThrow(/analytics_points/);
      expect(() => inInvocation({}, () => dataset.writeDataPoint({}))).not.toThrow();
    });
  });

  it("subrequest number 10,001 of one invocation throws", async () => {
    const f = checkedFetch(async () => new Response("ok"));
    const err = await refusal(() =>
      inInvocation({}, async () => {
        for (let i = 0; i <= SUBREQUESTS_PER_INVOCATION; i++) await f("http://127.0.0.1/");
      }),
    );
    expect(err.limit).toBe("subrequests");
    expect(err.value).toBe(SUBREQUESTS_PER_INVOCATION + 1);
  });

  it("a 7th fetch in flight in one invocation throws open_connections; one that finished frees its place", async () => {
    const waiting: (() => void)[] = [];
    const f = checkedFetch(() => new Promise<Response>((resolve) => waiting.push(() => resolve(new Response("ok")))));
    await inInvocation({}, async () => {
      const open = Array.from({ length: OPEN_CONNECTIONS_PER_INVOCATION }, () => f("http://127.0.0.1/"));
      const err = await refusal(() => f("http://127.0.0.1/"));
      expect(err.limit).toBe("open_connections");
      waiting.shift()!();
      await open[0];
      const seventh = f("http://127.0.0.1/");
      for (const release of waiting.splice(0)) release();
      await Promise.all([...open, seventh]);
    });
  });

  it("the largest admitted values are kept, refused ones are not", () => {
    const row = largestSeen().find((r) => r.limit === "analytics_points")!;
    expect(row.largest).toBe(ANALYTICS_POINTS_PER_INVOCATION);
    expect(row.refused).toBeGreaterThan(0);
    expect(largestSeen().every((r) => r.largest === null || r.largest <= r.bound)).toBe(true);
  });
});
