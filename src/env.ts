import type { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
import type { TenantLog } from "./tenant-log/tenant-log";
import type { EventsMessage } from "./queue/messages";
import { setLogLevel } from "./lib/log";
import { portalSettings, type PortalSettings } from "./lib/portal-settings";

/** Bindings and secrets of the Worker, as declared in wrangler.toml. */
declare global {
  interface Env {
    DB: D1Database;
    EVENTS_QUEUE: Queue<EventsMessage>;
    DISPATCHER: DurableObjectNamespace<EndpointDispatcher>;
    /** One TenantLog per tenant (named by the tenant id): that tenant's events, deliveries, attempts, stats, tasks. */
    TENANT_LOG: DurableObjectNamespace<TenantLog>;
    ROOT_API_KEY?: string;
    ENCRYPTION_KEY?: string;
    /** Retired encryption keys (base64, comma or space separated): they still decrypt, never encrypt. */
    ENCRYPTION_KEYS_OLD?: string;
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
    /** Per tenant and action: test, test-url, retry, resend, recover (src/http/tenant-action-limit.ts). */
    TENANT_ACTION_LIMITER?: RateLimit;
    /** Failed authentications per client address (src/http/auth-throttle.ts). */
    AUTH_FAILURE_LIMITER?: RateLimit;
    /** At most this many endpoints per tenant (default 1000). */
    MAX_ENDPOINTS_PER_TENANT?: string;
    LOG_LEVEL?: string;
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
    /** Optional Workers Analytics Engine dataset: one data point per recorded attempt. */
    DELIVERY_ANALYTICS?: AnalyticsEngineDataset;
  }
  namespace Cloudflare {
    interface Env extends globalThis.Env {}
  }
}

/** Configuration parsed once from the environment; everything downstream reads this, not raw vars. */
export interface Config {
  allowHttp: boolean;
  allowPrivate: boolean;
  publicUrl: string;
  /** The deployment's own hosts from configuration: PUBLIC_URL's and SELF_HOSTS. */
  selfHosts: string[];
  retentionDays: number;
  /** GET .../secret answers the signing secret (SECRET_REVEAL, default true). */
  secretReveal: boolean;
  maxEndpointsPerTenant: number;
  /** How long an isolate may serve a cached config row after another isolate changed it. */
  configCacheTtlMs: number;
  version: string;
  portal: PortalSettings;
  /** Tenants one GET /metrics scrape reads (METRICS_MAX_TENANTS). */
  metricsMaxTenants: number;
}

export const VERSION = "0.1.0";

const truthy = (v: string | undefined) => v === "true" || v === "1";

export function readConfig(env: Env): Config {
  setLogLevel(env.LOG_LEVEL);
  const retention = Number(env.RETENTION_DAYS ?? "30");
  const maxEndpoints = Number(env.MAX_ENDPOINTS_PER_TENANT ?? "1000");
  const allowHttp = truthy(env.ALLOW_HTTP_URLS);
  return {
    allowHttp,
    allowPrivate: truthy(env.ALLOW_PRIVATE_URLS),
    publicUrl: (env.PUBLIC_URL ?? "").replace(/\/+$/, ""),
    selfHosts: [env.PUBLIC_URL ?? "", ...(env.SELF_HOSTS ?? "").split(/[\s,]+/)].filter((h) => h.trim() !== ""),
    // Only an explicit false turns it off: a typo must not silently change the API.
    secretReveal: !(env.SECRET_REVEAL === "false" || env.SECRET_REVEAL === "0"),
    maxEndpointsPerTenant: Number.isInteger(maxEndpoints) && maxEndpoints > 0 ? maxEndpoints : 1000,
    retentionDays: Number.isFinite(retention) && retention > 0 ? Math.floor(retention) : 30,
    configCacheTtlMs: cacheTtlMs(env.CONFIG_CACHE_TTL_S),
    version: VERSION,
    portal: portalSettings(env, allowHttp),
    metricsMaxTenants: metricsMaxTenants(env.METRICS_MAX_TENANTS),
  };
}

export const DEFAULT_CONFIG_CACHE_TTL_S = 5;

function cacheTtlMs(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_CONFIG_CACHE_TTL_S);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 60) * 1000 : DEFAULT_CONFIG_CACHE_TTL_S * 1000;
}

export const DEFAULT_METRICS_MAX_TENANTS = 50;
export const METRICS_MAX_TENANTS_LIMIT = 500;

/** A bad value falls back to the default; a big one is clamped: a scrape's work stays bounded. */
function metricsMaxTenants(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_METRICS_MAX_TENANTS);
  return Number.isInteger(n) && n > 0 ? Math.min(n, METRICS_MAX_TENANTS_LIMIT) : DEFAULT_METRICS_MAX_TENANTS;
}
