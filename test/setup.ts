import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// The same flat SQL files wrangler applies, so tests and production share one schema.
await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] }).TEST_MIGRATIONS);
