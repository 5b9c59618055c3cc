/**
 * Per-key ingest rate limit on Cloudflare's Rate Limiting binding (INGEST_LIMITER in
 * wrangler.toml): counted per API key (the root key and each portal session have their own
 * bucket), enforced at the edge without a round trip to a database. Over the limit: 429
 * `rate_limited` with Retry-After set to the limiter's period.
 */
import { createMiddleware } from "hono/factory";
import type { Principal } from "../auth/principal";
import { ApiError } from "../errors";
import type { AppEnv } from "./context";

/** The period configured for INGEST_LIMITER in wrangler.toml (the binding allows 10 or 60). */
const INGEST_LIMIT_PERIOD_S = 10;

function rateLimitKey(principal: Principal): string {
  if (principal.kind === "root") return "root";
  if (principal.kind === "api_key") return principal.keyId;
  return `portal:${principal.sessionId}`;
}

export const ingestRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.env.INGEST_LIMITER;
  if (c.req.method === "POST" && limiter) {
    const { success } = await limiter.limit({ key: rateLimitKey(c.get("principal")) });
    if (!success) {
      throw new ApiError("rate_limited", "ingest rate limit exceeded for this key; retry later", undefined, {
        "retry-after": String(INGEST_LIMIT_PERIOD_S),
      });
    }
  }
  await next();
});
