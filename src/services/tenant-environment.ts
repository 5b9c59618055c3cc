/**
 * A tenant's environment: `production` or `sandbox` (docs/contract.md "Tenants"). A sandbox tenant's
 * endpoints may use http:// URLs even where ALLOW_HTTP_URLS is false (the Beltic-style rule);
 * private and loopback addresses stay refused unless ALLOW_PRIVATE_URLS. The environment is
 * copied onto the tenant's endpoints so every attempt re-checks it without a D1 read.
 */
import { and, eq, like, ne } from "drizzle-orm";
import { nextVersion } from "../attempts/endpoint-status";
import { endpoints, tenants } from "../db/schema";
import { destinationRules } from "../delivery/ssrf";
import { pushSnapshot } from "../dispatcher/client";
import type { TenantEnvironment } from "../domain/tenants";
import { ApiError, notFound } from "../errors";
import type { ServiceCtx } from "./context";

/**
 * Moves a tenant to `environment`. Leaving the sandbox while endpoints still use http:// (where
 * the deployment does not allow it) answers 409: their deliveries would all be refused.
 */
export async function setTenantEnvironment(ctx: ServiceCtx, tenantId: string, environment: TenantEnvironment) {
  const tenant = await ctx.db
    .select({ environment: tenants.environment })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .get();
  if (!tenant) throw notFound("tenant");
  if (tenant.environment === environment) return;
  if (!destinationRules(ctx.config, environment === "sandbox").allowHttp) {
    const plain = await ctx.db
      .select({ id: endpoints.id })
      .from(endpoints)
      .where(and(eq(endpoints.tenantId, tenantId), like(endpoints.url, "http:%")))
      .limit(5)
      .all();
    if (plain.length) {
      throw new ApiError(
        "conflict",
        "endpoints of this tenant use http:// URLs, which production refuses; move them to https first",
        [
          {
            path: "environment",
            message: `http endpoints: ${plain.map((e) => e.id).join(", ")}${plain.length === 5 ? ", ..." : ""}`,
          },
        ],
      );
    }
  }
  const now = Date.now();
  const [, changed] = await ctx.db.batch([
    ctx.db.update(tenants).set({ environment, updatedAt: now }).where(eq(tenants.id, tenantId)),
    ctx.db
      .update(endpoints)
      .set({ tenantEnvironment: environment, version: nextVersion(), updatedAt: now })
      .where(and(eq(endpoints.tenantId, tenantId), ne(endpoints.tenantEnvironment, environment)))
      .returning(),
  ]);
  // Bounded by MAX_ENDPOINTS_PER_TENANT; each dispatcher re-checks its next attempt under the new rule.
  for (let i = 0; i < changed.length; i += 50)
    await Promise.all(changed.slice(i, i + 50).map((row) => pushSnapshot(ctx.env, row)));
}
