/**
 * What a portal session's bearer token may reach (docs/contract.md "Portal"): its own tenant's endpoints,
 * deliveries, attempts, events, stats and recover tasks, and reads of its tenant and of the shared
 * event-type catalog. Nothing else, whatever the session's read_only flag: not the tenant's
 * settings, API keys, portal sessions, or operator routes. This is an allow-list checked before any
 * route runs, so a route added later is closed to portal sessions until it is listed here; the
 * routes' own scope checks (read vs admin, tenant match) still apply on top.
 */
import { ApiError } from "../errors";
import type { Principal } from "./principal";

/** Under /v1/tenants/{own}/: any method (the route decides read vs admin). */
const TENANT_DATA = /^\/(endpoints|deliveries|attempts|events|stats|test-url)(\/|$)/;
/** Reads only. */
const READS = [/^\/v1\/tenants\/?$/, /^\/v1\/event-types(\/[^/]+)?\/?$/, /^\/v1\/tasks\/[^/]+\/?$/];

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Throws 403 for a route a portal session may not use (404 when it names another tenant). */
export function assertPortalScope(principal: Principal, method: string, path: string) {
  if (principal.kind !== "portal") return;
  const read = method === "GET" || method === "HEAD";
  const tenant = /^\/v1\/tenants\/([^/]+)(\/.*)?$/.exec(path);
  if (tenant) {
    // Another tenant's routes answer 404 whatever they are, never a hint that the tenant exists.
    if (decodeSegment(tenant[1]!) !== principal.tenantId) throw new ApiError("not_found", "tenant not found");
    const rest = tenant[2] ?? "";
    if (TENANT_DATA.test(rest) || (read && (rest === "" || rest === "/"))) return;
  } else if (read && READS.some((r) => r.test(path))) {
    return;
  }
  throw new ApiError("forbidden", "a portal session can only use its tenant's endpoints, deliveries and events");
}
