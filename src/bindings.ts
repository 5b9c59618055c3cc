/**
 * The binding types of the Worker (the global `Env`), apart from the parsed settings in
 * src/config.ts. A .ts file rather than env.d.ts so that tsc checks it (skipLibCheck skips every
 * .d.ts). It only names types: the classes it imports are wiring, not a dependency of the code.
 */
import type { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
import type { EventsMessage } from "./domain/queue-messages";
import type { SweepMessage } from "./domain/sweep";
import type { TenantLog } from "./tenant-log/tenant-log";

/** Bindings and secrets of the Worker, as declared in wrangler.toml. */
declare global {
  interface Env {
    DB: D1Database;
    EVENTS_QUEUE: Queue<EventsMessage>;
    /** Each TenantLog's alarm asks here for its tenant's sweep (src/domain/sweep.ts). */
    SWEEP_QUEUE: Queue<SweepMessage>;
    DISPATCHER: DurableObjectNamespace<EndpointDispatcher>;
    /** One TenantLog per tenant (named by the tenant id): that tenant's events, deliveries, attempts, stats, tasks. */
    TENANT_LOG: DurableObjectNamespace<TenantLog>;
    ROOT_API_KEY?: string;
    ENCRYPTION_KEY?: string;
    /** Retired encryption keys (base64, comma or space separated): they still decrypt, never encrypt. */
    ENCRYPTION_KEYS_OLD?: string;
    /** `true` refuses v1 ciphertexts (sealed without associated data): set it once the reseal pass reports `v1_remaining: 0`. */
    ENCRYPTION_REFUSE_V1?: string;
    PUBLIC_URL?: string;
    ALLOW_HTTP_URLS?: string;
    ALLOW_PRIVATE_URLS?: string;
    /** Default and upper bound of a tenant's retention_days. */
    RETENTION_DAYS?: string;
    /** Seconds a config read (API key, tenant, endpoints, catalog) may be served from an isolate's cache (default 5, 0 = off). */
    CONFIG_CACHE_TTL_S?: string;
    /** Preset name or JSON `{"schedule_s":[...]}` for endpoints without a retry_policy (default `standard`). */
    DEFAULT_RETRY_POLICY?: string;
    /** JSON signature profile for endpoints without one (default `{"scheme":"standard"}`). */
    DEFAULT_SIGNATURE?: string;
    /** Per-key ingest limiter (Cloudflare Rate Limiting binding). */
    INGEST_LIMITER?: RateLimit;
    /** Per tenant and action: test, test-url, retry, resend, recover (src/services/tenant-action-limit.ts). */
    TENANT_ACTION_LIMITER?: RateLimit;
    /** Failed authentications per client address (src/http/auth-throttle.ts). */
    AUTH_FAILURE_LIMITER?: RateLimit;
    /** At most this many endpoints per tenant (default 1000). */
    MAX_ENDPOINTS_PER_TENANT?: string;
    LOG_LEVEL?: string;
    /** `enforce` checks Cloudflare's limits in every call (src/lib/platform-limits.ts): tests and `npm start` only, never a deploy. */
    PLATFORM_LIMITS?: string;
    /** `false` forbids GET .../endpoints/{id}/secret (default `true`). */
    SECRET_REVEAL?: string;
    /** Extra host names of this deployment (custom domains), comma or space separated; endpoints may not target them. */
    SELF_HOSTS?: string;
    /** Space-separated origins allowed to frame the portal (CSP frame-ancestors); unset: none. */
    PORTAL_FRAME_ANCESTORS?: string;
    /** Portal branding: a name, a logo (https), an accent color (#rrggbb). */
    PORTAL_BRAND_NAME?: string;
    PORTAL_LOGO_URL?: string;
    PORTAL_ACCENT_COLOR?: string;
    /** Tenants one GET /metrics scrape reads (default 50, 1..500); the rest are on the next page. */
    METRICS_MAX_TENANTS?: string;
    /** Seconds before the sweeper takes over a half-done fan-out or hand-off (default 120). */
    SWEEP_GRACE_S?: string;
    /** Hours a tenant log segment takes writes before the next one opens (default 24). */
    TENANT_LOG_SEGMENT_HOURS?: string;
    /** Events a tenant log segment takes before the next one opens (default 250,000). */
    TENANT_LOG_SEGMENT_MAX_EVENTS?: string;
    /** Optional Workers Analytics Engine dataset: one data point per recorded attempt. */
    DELIVERY_ANALYTICS?: AnalyticsEngineDataset;
  }
  namespace Cloudflare {
    interface Env extends globalThis.Env {}
  }
}
