import { setLogLevel } from "./lib/log";
import { portalSettings, type PortalSettings } from "./lib/portal-settings";

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
  /** How old a half-done write must be before the sweeper drives it again (SWEEP_GRACE_S). */
  sweepGraceMs: number;
}

const VERSION = "0.1.0";

/**
 * A setting that must not be served as it is: the Worker refuses to start (src/index.ts reads
 * the configuration at load, so `wrangler deploy` and `wrangler dev` fail with this message), and
 * a request that reaches it anyway answers 500 with the message logged.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const truthy = (v: string | undefined) => v === "true" || v === "1";

export function readConfig(env: Env): Config {
  setLogLevel(env.LOG_LEVEL);
  const retention = Number(env.RETENTION_DAYS ?? "30");
  const maxEndpoints = Number(env.MAX_ENDPOINTS_PER_TENANT ?? "1000");
  const allowHttp = truthy(env.ALLOW_HTTP_URLS);
  const portal = portalSettings(env, allowHttp);
  if (portal.fatal.length) {
    throw new ConfigError(`invalid configuration, refusing to start: ${portal.fatal.map((i) => `${i.name}: ${i.message}`).join("; ")}`);
  }
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
    portal: portal.settings,
    metricsMaxTenants: metricsMaxTenants(env.METRICS_MAX_TENANTS),
    sweepGraceMs: sweepGraceMs(env.SWEEP_GRACE_S),
  };
}

const DEFAULT_CONFIG_CACHE_TTL_S = 5;
/** The longest CONFIG_CACHE_TTL_S honoured: how stale another isolate's config may ever be. */
export const MAX_CONFIG_CACHE_TTL_S = 60;

function cacheTtlMs(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_CONFIG_CACHE_TTL_S);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, MAX_CONFIG_CACHE_TTL_S) * 1000 : DEFAULT_CONFIG_CACHE_TTL_S * 1000;
}

const DEFAULT_METRICS_MAX_TENANTS = 50;
const METRICS_MAX_TENANTS_LIMIT = 500;

/** A bad value falls back to the default; a big one is clamped: a scrape's work stays bounded. */
function metricsMaxTenants(raw: string | undefined): number {
  const n = Number(raw ?? DEFAULT_METRICS_MAX_TENANTS);
  return Number.isInteger(n) && n > 0 ? Math.min(n, METRICS_MAX_TENANTS_LIMIT) : DEFAULT_METRICS_MAX_TENANTS;
}

/** Default 120 s; at least 5 s, so a write still in flight is never taken for a failed one. */
function sweepGraceMs(raw: string | undefined): number {
  const n = Number(raw ?? 120);
  return Number.isFinite(n) && n >= 5 ? n * 1000 : 120_000;
}
