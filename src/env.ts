import type { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
import type { TenantLog } from "./tenant-log/tenant-log";
import type { EventsMessage } from "./queue/messages";
import { setLogLevel } from "./lib/log";

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
    LOG_LEVEL?: string;
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
  retentionDays: number;
  /** How long an isolate may serve a cached config row after another isolate changed it. */
  configCacheTtlMs: number;
  version: string;
}

export const VERSION = "0.1.0";

const truthy = (v: string | undefined) => v === "true" || v === "1";

export function readConfig(env: Env): Config {
  setLogLevel(env.LOG_LEVEL);
  const retention = Number(env.RETENTION_DAYS ?? "30");
  return {
    allowHttp: truthy(env.ALLOW_HTTP_URLS),
    allowPrivate: truthy(env.ALLOW_PRIVATE_URLS),
    publicUrl: (env.PUBLIC_URL ?? "").replace(/\/+$/, ""),
    retentionDays: Number.isFinite(retention) && retention > 0 ? Math.floor(retention) : 30,
    configCacheTtlMs: cacheTtlMs(env.CONFIG_CACHE_TTL_S),
    version: VERSION,
  };
}

export const DEFAULT_CONFIG_CACHE_TTL_S = 5;

function cacheTtlMs(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_CONFIG_CACHE_TTL_S);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, 60) * 1000 : DEFAULT_CONFIG_CACHE_TTL_S * 1000;
}
