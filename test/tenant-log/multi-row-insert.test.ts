/** Rows several per INSERT (src/lib/multi-row-insert.ts): within 100 bound parameters, in order, nothing left behind. */
import { describe, expect, it } from "vitest";
import { MAX_BOUND_PARAMETERS, MultiRowInsert } from "../../src/lib/multi-row-insert";

function recorder(columns: number, tail = "") {
  const statements: { query: string; params: unknown[] }[] = [];
  const insert = new MultiRowInsert(
    "INSERT INTO t (a, b, c)".replace(
      "(a, b, c)",
      `(${Array.from({ length: columns }, (_, i) => `c${i}`).join(", ")})`,
    ),
    columns,
    tail,
    (query, params) => statements.push({ query, params }),
  );
  return { insert, statements };
}

describe("multi-row insert", () => {
  it("puts floor(100 / columns) rows in a statement, keeps their order and flushes the rest", () => {
    const { insert, statements } = recorder(12, "ON CONFLICT DO NOTHING");
    for (let i = 0; i < 20; i++) insert.add(Array.from({ length: 12 }, (_, c) => `${i}.${c}`));
    expect(statements.map((s) => s.params.length / 12)).toEqual([8, 8]);
    insert.flush();
    expect(statements.map((s) => s.params.length / 12)).toEqual([8, 8, 4]);
    expect(statements.every((s) => s.params.length <= MAX_BOUND_PARAMETERS)).toBe(true);
    expect(statements.flatMap((s) => s.params).filter((_, k) => k % 12 === 0)).toEqual(
      Array.from({ length: 20 }, (_, i) => `${i}.0`),
    );
    expect(statements[2]!.query).toBe(
      `INSERT INTO t (${Array.from({ length: 12 }, (_, i) => `c${i}`).join(", ")}) VALUES ${Array(4)
        .fill(`(${Array(12).fill("?").join(", ")})`)
        .join(", ")} ON CONFLICT DO NOTHING`,
    );
  });

  it("writes nothing when there is nothing, and refuses a row of the wrong width", () => {
    const { insert, statements } = recorder(3);
    insert.flush();
    expect(statements).toEqual([]);
    expect(() => insert.add([1, 2])).toThrow("expected 3 values");
  });

  it("a narrow row: 33 rows of 3 columns per statement", () => {
    const { insert, statements } = recorder(3);
    for (let i = 0; i < 34; i++) insert.add([i, i, i]);
    insert.flush();
    expect(statements.map((s) => s.params.length)).toEqual([99, 3]);
  });
});
