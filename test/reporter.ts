/**
 * Listed last in vitest's reporters: prints `tests: N passed, N failed, N skipped` as the final
 * line, the closing line CI reads. Unhandled errors count as failures.
 */
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
    // Listed after the default reporter, so this comes after its summary: the run's last line.
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
