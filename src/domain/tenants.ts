/** Tenant vocabulary: a sandbox tenant's endpoints may use http:// destinations (src/delivery/ssrf.ts). */
export const TENANT_ENVIRONMENTS = ["production", "sandbox"] as const;
export type TenantEnvironment = (typeof TENANT_ENVIRONMENTS)[number];
