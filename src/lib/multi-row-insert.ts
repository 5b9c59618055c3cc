import { SQL_BOUND_PARAMETERS } from "./platform-limits";

/**
 * Rows written several per INSERT statement. Measured in the local runtime, one statement per row
 * cost more than the row itself (events, deliveries and pending rows on the hot path); a Durable
 * Object statement binds at most 100 parameters, so a statement carries floor(100 / columns) rows.
 * Rows keep their order; flush() writes what is left (call it before reading what was added).
 */
export const MAX_BOUND_PARAMETERS = SQL_BOUND_PARAMETERS;

export class MultiRowInsert {
  private params: unknown[] = [];
  private count = 0;
  private readonly perStatement: number;
  private readonly statements = new Map<number, string>();

  /**
   * @param head `INSERT INTO t (a, b, c)` (or `INSERT OR IGNORE INTO ...`)
   * @param columns how many values each row has
   * @param tail what follows VALUES (e.g. `ON CONFLICT DO NOTHING`, `RETURNING id`)
   * @param run executes one statement with its parameters
   */
  constructor(
    private readonly head: string,
    private readonly columns: number,
    private readonly tail: string,
    private readonly run: (query: string, params: unknown[]) => void,
  ) {
    this.perStatement = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / columns));
  }

  add(values: unknown[]) {
    if (values.length !== this.columns) throw new Error(`expected ${this.columns} values, got ${values.length}`);
    this.params.push(...values);
    if (++this.count === this.perStatement) this.flush();
  }

  flush() {
    if (!this.count) return;
    const params = this.params;
    const query = this.statement(this.count);
    this.params = [];
    this.count = 0;
    this.run(query, params);
  }

  private statement(rows: number): string {
    let q = this.statements.get(rows);
    if (!q) {
      const row = `(${Array(this.columns).fill("?").join(", ")})`;
      q = `${this.head} VALUES ${Array(rows).fill(row).join(", ")}${this.tail ? ` ${this.tail}` : ""}`;
      this.statements.set(rows, q);
    }
    return q;
  }
}
