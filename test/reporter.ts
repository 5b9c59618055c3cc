/**
 * Listed last in vitest's reporters: prints `tests: N passed, N failed, N skipped` as the final
 * line, the closing line CI reads. Unhandled errors count as failures.
 */
import { writeFileSync } from "node:fs";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

export default class CountingReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>) {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of testModules) {
      // A file that failed to load has no tests but is a failure all the same.
      if (mod.state() === "failed" && ![...mod.children.allTests()].length) failed++;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    // scripts/test.mjs runs two vitest processes side by side and prints their sum itself.
    const countsFile = process.env.EDGEHOOKS_TEST_COUNTS;
    if (countsFile) {
      writeFileSync(countsFile, JSON.stringify({ passed, failed, skipped }));
      return;
    }
    // Listed after the default reporter, so this comes after its summary: the run's last line.
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
