import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Miniflare keeps each workerd's D1 and Durable Object SQLite files under the OS temp directory,
// and on a disk-backed /tmp every commit waits for the disk: sweep-scale.test.ts's 5,000 logs took
// 590 s there and 150 s on tmpfs (same machine, same hour). A RAM-backed directory where the
// machine has one, removed when vitest exits; an explicit TMPDIR is left alone.
if (!process.env.TMPDIR && existsSync("/dev/shm")) {
  try {
    const dir = mkdtempSync("/dev/shm/edgehooks-test-");
    process.env.TMPDIR = dir;
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  } catch {
    // not writable: the default temp directory
  }
}

// Tests run inside workerd with the real bindings from wrangler.toml: D1, the queues and the
// EndpointDispatcher Durable Object. The receiver started in globalSetup is a real HTTP server.
export const TEST_ROOT_KEY = "ek_root_test_key_0123456789";
// 32 zero-indexed bytes, base64: a fixed key so failures are reproducible.
export const TEST_ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// Files that need a workerd no other file has used (a whole-table read, or a bulk run timed by its
// waits): they keep a workerd of their own (vitest's per-file isolation). Every other file shares
// one workerd per vitest worker, and with it one D1 and one set of Durable Objects: starting workerd per file cost
// ~2 s a file, ~90 s a run on two cores. Those files create their own tenant, endpoints and
// receiver paths, so what the others wrote does not change what they see.
const FRESH_DATABASE = [
  // The reseal pass walks every endpoint row: another file's rows sealed under keys this file
  // does not hold would fill its batches.
  "test/security/encryption.test.ts",
  // A scrape pages through every tenant, two at a time in this test.
  "test/routes/metrics/operator-metrics.test.ts",
  // 900 deliveries in its 10 s wait: retries other files left running in a shared workerd slow it.
  "test/tenant-log/footprint.test.ts",
  // The reseal pass's cursor walks every endpoint row, like encryption.test.ts.
  "test/security/reseal.test.ts",
  // 5,000 tenants in D1 and 5,000 logs: every file after it would page through them.
  "test/sweep/sweep-scale.test.ts",
  // 100,000 held deliveries in one dispatcher and one log.
  "test/dispatcher/bounded.test.ts",
  // Both provoke 429s of the 3-per-10 s STRICT_INGEST_LIMITER: sharing its window, one's requests
  // would spend the other's budget.
  "test/security/rate-limit.test.ts",
  "test/contract/documented-statuses.test.ts",
  // Counts every row written in the isolate while one alarm runs: another file's writes would be counted with it.
  "test/tenant-log/retention-rows.test.ts",
  // Counts every alarm the isolate arms during a wake-up, as retention-rows.test.ts counts rows.
  "test/dispatcher/alarm-rows.test.ts",
];

const pool = () =>
  cloudflareTest(async ({ inject }) => ({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      // The real Rate Limiting binding with a small limit, for the 429 test.
      ratelimits: { STRICT_INGEST_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 10 } } },
      bindings: {
        RECEIVER_PORT: String(inject("receiverPort")),
        TEST_MIGRATIONS: await readD1Migrations("./migrations"),
        ROOT_API_KEY: TEST_ROOT_KEY,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        ALLOW_HTTP_URLS: "true",
        ALLOW_PRIVATE_URLS: "true",
        PUBLIC_URL: "http://edgehooks.test",
        // Custom domains of the deployment, for the delivery-loop tests.
        SELF_HOSTS: "hooks.example.org, 198.51.100.7",
        LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
        // As strict as production: Cloudflare's limits checked in every call (src/lib/platform-limits.ts).
        // PLATFORM_LIMITS=off npx vitest … runs without it, to tell a limit's failure from another.
        PLATFORM_LIMITS: process.env.PLATFORM_LIMITS ?? "enforce",
      },
    },
  }));

const workers = defineConfig({
  plugins: [pool()],
  test: {
    name: "workers",
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/setup.ts"],
    include: ["test/**/*.test.ts"],
    exclude: ["test/node/**", ...FRESH_DATABASE],
    // One isolate for every file of a vitest worker: an isolate per file cost ~2.9 s of start-up
    // a file. What an isolate keeps between requests is shared with it: test/setup.ts fails the
    // file that teaches it the receiver's address as a self host (src/lib/self-hosts.ts; a request
    // on http://localhost/ once made every loopback port "this deployment", 6 failures in CI).
    isolate: false,
    testTimeout: 30_000,
  },
});

const workersFreshDatabase = defineConfig({
  plugins: [pool()],
  test: {
    name: "workers-fresh-db",
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/setup.ts"],
    include: FRESH_DATABASE,
    testTimeout: 30_000,
  },
});

// Tests of the tools a developer runs on their machine (the CLI, npm run setup): plain Node
// processes against a real `wrangler dev` they start themselves, or a stub of wrangler.
const node = defineConfig({
  test: {
    name: "node",
    environment: "node",
    include: ["test/node/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

export default defineConfig({
  test: {
    projects: [workers, workersFreshDatabase, node],
    // What a test logs (the error lines some provoke on purpose) shows only when it fails.
    silent: "passed-only",
    reporters: ["default", "./test/reporter.ts"],
  },
});
