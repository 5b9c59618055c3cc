import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";
import { readConfig } from "../src/config";
import { checkDestination } from "../src/delivery/ssrf";
import { type LimitReport, largestSeen } from "../src/lib/platform-limits";
import { selfHosts } from "../src/lib/self-hosts";
import { receiverUrl } from "./helpers/receiver";

// The same flat SQL files wrangler applies, so tests and production share one schema.
await applyD1Migrations(
  env.DB,
  (env as unknown as { TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] }).TEST_MIGRATIONS,
);

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

// Files share one isolate (vitest.config.ts), and the isolate learns each host a request comes in
// on as its own (src/lib/self-hosts.ts). A file that teaches it the receiver's address would make
// every later file's deliveries refused as delivery loops, far from the cause: fail here instead,
// in the file that did it.
afterAll(() => {
  const verdict = checkDestination(receiverUrl("/"), {
    allowHttp: true,
    allowPrivate: true,
    selfHosts: selfHosts(readConfig(env)),
  });
  if (!verdict.ok)
    throw new Error(
      `this file taught the shared isolate the test receiver's address as its own host: ${verdict.reason}`,
    );
});
