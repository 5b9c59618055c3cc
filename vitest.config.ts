import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real bindings from wrangler.toml: D1, the queues and the
// EndpointDispatcher Durable Object. The receiver started in globalSetup is a real HTTP server.
export const TEST_ROOT_KEY = "ek_root_test_key_0123456789";
// 32 zero-indexed bytes, base64: a fixed key so failures are reproducible.
export const TEST_ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

const workers = defineConfig({
  plugins: [
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
    })),
  ],
  test: {
    name: "workers",
    globalSetup: ["./test/global-setup.ts"],
    setupFiles: ["./test/setup.ts"],
    include: ["test/**/*.test.ts"],
    exclude: ["test/node/**"],
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
    projects: [workers, node],
    reporters: ["default", "./test/reporter.ts"],
  },
});
