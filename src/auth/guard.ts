/**
 * Authorisation checks used by every route. Missing the right scope is 403; a tenant the
 * principal may not see is 404, so its existence is never revealed.
 */
import type { Context } from "hono";
import { ApiError } from "../errors";
import type { AppEnv } from "../http/context";
import type { Principal, Scope } from "./principal";

export function hasScope(principal: Principal, scope: Scope): boolean {
  if (principal.kind === "root") return true;
  if (principal.kind === "portal") return principal.scopes.includes(scope);
  // admin implies every other scope.
  return principal.scopes.includes("admin") || principal.scopes.includes(scope);
}

function canSeeTenant(principal: Principal, tenantId: string): boolean {
  return principal.kind === "root" || principal.tenantId === null || principal.tenantId === tenantId;
}

/** Asserts the caller may act with `scope` (on `tenantId` when given) and returns the principal. */
export function authorize(c: Context<AppEnv>, scope: Scope, tenantId?: string): Principal {
  const principal = c.get("principal");
  if (tenantId !== undefined && !canSeeTenant(principal, tenantId)) throw new ApiError("not_found", "tenant not found");
  if (!hasScope(principal, scope)) throw new ApiError("forbidden", `this key lacks the '${scope}' scope`);
  return principal;
}

/** Keys and portal sessions cannot mint credentials or remove whole tenants from a portal. */
export function forbidPortal(principal: Principal, what: string) {
  if (principal.kind === "portal") throw new ApiError("forbidden", `a portal session cannot ${what}`);
}

/** The tenant a tenant-restricted principal is bound to, or null for unrestricted ones. */
export function principalTenant(principal: Principal): string | null {
  return principal.kind === "root" ? null : principal.tenantId;
}

/** The deployment's operator: the root key or an admin key bound to no tenant (every tenant's settings and numbers). */
export function isOperator(principal: Principal): boolean {
  return (
    principal.kind === "root" ||
    (principal.kind === "api_key" && principal.tenantId === null && hasScope(principal, "admin"))
  );
}
