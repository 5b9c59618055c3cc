/**
 * Listed last in vitest's reporters: prints the largest value each Cloudflare limit saw in the
 * run beside the limit (src/lib/platform-limits.ts, collected per test file by test/setup.ts), then
 * `tests: N passed, N failed, N skipped` as the final line, the closing line CI reads. Unhandled
 * errors count as failures.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, SerializedError, TestModule, TestSpecification } from "vitest/node";
import type { LimitReport } from "../src/lib/platform-limits";

export default class CountingReporter implements Reporter {
  /** Test files this run has, and the ones finished so far. */
  private total = 0;
  private readonly finished: TestModule[] = [];

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>) {
    this.total = specifications.length;
  }

  /**
   * After each file, the counts so far go to scripts/test.mjs's file with `final: false`: if the
   * runner then never ends (a workerd runner left behind after the last file, seen now and then),
   * the harness still has every file's results and stops it (scripts/test.mjs).
   */
  onTestModuleEnd(mod: TestModule) {
    this.finished.push(mod);
    const countsFile = process.env.EDGEHOOKS_TEST_COUNTS;
    if (countsFile)
      writeFileSync(
        countsFile,
        JSON.stringify({ ...countsOf(this.finished, 0), files: this.finished.length, total: this.total, final: false }),
      );
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>) {
    const { passed, failed, skipped } = countsOf(testModules, unhandledErrors.length);
    const limits = limitsTable(testModules);
    if (limits) process.stdout.write(`\n${limits}`);
    // scripts/test.mjs runs two vitest processes side by side and prints their sum itself.
    const countsFile = process.env.EDGEHOOKS_TEST_COUNTS;
    if (countsFile) {
      writeFileSync(countsFile, JSON.stringify({ passed, failed, skipped, final: true }));
      return;
    }
    // Listed after the default reporter, so this comes after its summary: the run's last line.
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

/** Passed, failed and skipped tests of these files; `errors` (unhandled) count as failures. */
function countsOf(testModules: ReadonlyArray<TestModule>, errors: number) {
  let passed = 0;
  let failed = errors;
  let skipped = 0;
  for (const mod of testModules) {
    // A file that failed to load, or whose hook failed after its tests passed (test/setup.ts's
    // checks), is a failure all the same.
    if (mod.state() === "failed" && ![...mod.children.allTests()].some((t) => t.result().state === "failed")) failed++;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") passed++;
      else if (state === "failed") failed++;
      else skipped++;
    }
  }
  return { passed, failed, skipped };
}

/** One line per limit: the largest admitted value over every file, where it was seen, and refusals. */
export function limitsTable(testModules: ReadonlyArray<TestModule>): string | null {
  const merged = new Map<string, LimitReport & { file: string | null }>();
  for (const mod of testModules) {
    for (const r of (mod.meta() as { platformLimits?: LimitReport[] }).platformLimits ?? []) {
      const seen = merged.get(r.limit);
      const file = r.largest !== null ? mod.moduleId.replace(`${process.cwd()}/`, "") : null;
      if (!seen) merged.set(r.limit, { ...r, file });
      else {
        if (r.largest !== null && (seen.largest === null || r.largest > seen.largest))
          Object.assign(seen, { largest: r.largest, where: r.where, file });
        seen.refused += r.refused;
      }
    }
  }
  if (!merged.size) return null;
  const rows = [...merged.values()].map((r) => [
    r.limit,
    r.largest === null ? "-" : r.largest.toLocaleString("en-US"),
    r.bound.toLocaleString("en-US"),
    r.largest === null ? "" : `${((100 * r.largest) / r.bound).toFixed(1)}%`,
    String(r.refused),
    r.largest === null ? "" : `${r.where} (${r.file})`,
  ]);
  const head = ["platform limit", "largest seen", "limit", "used", "refused", "where"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 1 || i === 2 || i === 3 || i === 4
          ? c.padStart(widths[i]!)
          : i === cells.length - 1
            ? c
            : c.padEnd(widths[i]!),
      )
      .join("  ");
  return `${[line(head), ...rows.map(line)].join("\n")}\n(refused: values a check threw on; the layer's own tests, which cross each limit on purpose, are left out)\n`;
}
