import { setLogLevel } from "./lib/log";
import { type PortalSettings, portalSettings } from "./lib/portal-settings";

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
  /** When a tenant log segment closes and the next one opens (src/tenant-log/segments.ts). */
  segment: SegmentLimits;
}

/** A segment takes appends until it is this old or holds this many events, whichever comes first. */
export interface SegmentLimits {
  maxAgeMs: number;
  maxEvents: number;
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
    throw new ConfigError(
      `invalid configuration, refusing to start: ${portal.fatal.map((i) => `${i.name}: ${i.message}`).join("; ")}`,
    );
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
    segment: {
      maxAgeMs: positiveInt(env.TENANT_LOG_SEGMENT_HOURS, DEFAULT_SEGMENT_HOURS) * 3600_000,
      maxEvents: positiveInt(env.TENANT_LOG_SEGMENT_MAX_EVENTS, DEFAULT_SEGMENT_MAX_EVENTS),
    },
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

/**
 * A day per segment: retention (days) then drops a day at a time, and an idempotency key (24 h)
 * is looked up in at most the segment before the current one.
 */
const DEFAULT_SEGMENT_HOURS = 24;
/**
 * Events per segment. A Durable Object holds at most 10 GB; docs/scaling.md measured 1,434 B per
 * 1 KB event and 2,062 B per delivery with its first attempt (7.6 KB per event at fan-out 3), so
 * 250,000 events are ~1.9 GB at fan-out 3 and ~5.5 GB at fan-out 10, with room left for the
 * retries a closed segment still records. The segment also closes on its measured size
 * (SEGMENT_CLOSE_BYTES, src/tenant-log/segments.ts) whatever the fan-out.
 */
const DEFAULT_SEGMENT_MAX_EVENTS = 250_000;

/** A bad value (not a whole number above 0) falls back to the default. */
function positiveInt(raw: string | undefined, fallback: number): number {
  const n = Number(raw ?? fallback);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
