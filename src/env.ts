import type { EndpointDispatcher } from "./dispatcher/endpoint-dispatcher";
import type { EventsMessage } from "./queue/messages";
import { setLogLevel } from "./lib/log";
import { portalSettings, type PortalSettings } from "./lib/portal-settings";

/** Bindings and secrets of the Worker, as declared in wrangler.toml. */
declare global {
  interface Env {
    DB: D1Database;
    EVENTS_QUEUE: Queue<EventsMessage>;
    EVENTS_DLQ: Queue<unknown>;
    DISPATCHER: DurableObjectNamespace<EndpointDispatcher>;
    ROOT_API_KEY?: string;
    ENCRYPTION_KEY?: string;
    PUBLIC_URL?: string;
    ALLOW_HTTP_URLS?: string;
    ALLOW_PRIVATE_URLS?: string;
    RETENTION_DAYS?: string;
    /** Preset name or JSON `{"schedule_s":[...]}` for endpoints without a retry_policy (default `standard`). */
    DEFAULT_RETRY_POLICY?: string;
    /** JSON signature profile for endpoints without one (default `{"scheme":"standard"}`). */
    DEFAULT_SIGNATURE?: string;
    /** Per-key ingest limiter (Cloudflare Rate Limiting binding). */
    INGEST_LIMITER?: RateLimit;
    LOG_LEVEL?: string;
    /** Space-separated origins allowed to frame the portal (CSP frame-ancestors); unset: none. */
    PORTAL_FRAME_ANCESTORS?: string;
    /** Portal branding: a name, a logo (https), an accent color (#rrggbb). */
    PORTAL_BRAND_NAME?: string;
    PORTAL_LOGO_URL?: string;
    PORTAL_ACCENT_COLOR?: string;
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
  version: string;
  portal: PortalSettings;
}

export const VERSION = "0.1.0";

const truthy = (v: string | undefined) => v === "true" || v === "1";

export function readConfig(env: Env): Config {
  setLogLevel(env.LOG_LEVEL);
  const retention = Number(env.RETENTION_DAYS ?? "30");
  const allowHttp = truthy(env.ALLOW_HTTP_URLS);
  return {
    allowHttp,
    allowPrivate: truthy(env.ALLOW_PRIVATE_URLS),
    publicUrl: (env.PUBLIC_URL ?? "").replace(/\/+$/, ""),
    retentionDays: Number.isFinite(retention) && retention > 0 ? retention : 30,
    version: VERSION,
    portal: portalSettings(env, allowHttp),
  };
}
