import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";
import { largestSeen, type LimitReport } from "../src/lib/platform-limits";

// The same flat SQL files wrangler applies, so tests and production share one schema.
await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] }).TEST_MIGRATIONS);

declare module "vitest" {
  interface TaskMeta {
    platformLimits?: LimitReport[];
  }
}

// The largest value each platform limit admitted in this file's isolate (src/lib/platform-limits.ts),
// handed to test/reporter.ts through the file's task meta; the reporter prints them beside their limits.
// vitest reads the hook's first parameter as a fixture pattern, so it must be an (empty) destructuring.
// biome-ignore lint/correctness/noEmptyPattern: see above
afterAll(({}, suite) => {
  suite.meta.platformLimits = largestSeen();
});
