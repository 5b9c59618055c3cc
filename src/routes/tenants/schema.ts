import { z } from "@hono/zod-openapi";
import { TENANT_ENVIRONMENTS } from "../../domain/tenants";
import { MAX_LOG_SHARDS } from "../../tenant-log/segments";
import { MetadataSchema, TENANT_ID_PATTERN, Timestamp } from "../common";

const EnvironmentField = z.enum(TENANT_ENVIRONMENTS).openapi({
  description:
    "`production` (default) or `sandbox`: a sandbox tenant's endpoints may use http:// URLs even where the deployment allows only https (private and loopback addresses stay refused). Leaving the sandbox while endpoints use http:// answers 409.",
});
/** 1..RETENTION_DAYS; the upper bound is the deployment's, checked by the service (400 above it). */
const RetentionDays = z.number().int().min(1).max(3650).openapi({
  description:
    "Days this tenant's events, deliveries and attempts are kept: 1..RETENTION_DAYS (default RETENTION_DAYS).",
});

/** 1..MAX_LOG_SHARDS (src/tenant-log/segments.ts). */
const LogShards = z
  .number()
  .int()
  .min(1)
  .max(MAX_LOG_SHARDS)
  .openapi({
    description: `Hash shards each segment of this tenant's log is split over, for a tenant whose traffic is more than one object takes: 1..${MAX_LOG_SHARDS} (default 1). A change applies from the log's next segment (at create: from the first). Set only with the root key or an admin key bound to no tenant.`,
  });

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: "org_xyz789" }),
    name: z.string().openapi({ example: "Acme Corp" }),
    metadata: z.record(z.string(), z.string()),
    environment: z.enum(TENANT_ENVIRONMENTS),
    retention_days: z.number().int().openapi({ description: "Days its events, deliveries and attempts are kept." }),
    log_shards: z
      .number()
      .int()
      .openapi({ description: "Hash shards the next segment of its log opens with (1: one object per segment)." }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Tenant");

export const CreateTenantInput = z
  .strictObject({
    id: z
      .string()
      .regex(TENANT_ID_PATTERN, "tenant ids are 1..64 characters of A-Z a-z 0-9 _ . : -")
      .optional()
      .openapi({
        description: "Your own id for this customer (e.g. your org id). Generated when absent.",
        example: "org_xyz789",
      }),
    name: z.string().min(1).max(200).openapi({ example: "Acme Corp" }),
    metadata: MetadataSchema.optional(),
    environment: EnvironmentField.optional(),
    retention_days: RetentionDays.optional(),
    log_shards: LogShards.optional(),
  })
  .openapi("CreateTenantInput");

export const UpdateTenantInput = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    metadata: MetadataSchema.optional(),
    environment: EnvironmentField.optional(),
    retention_days: RetentionDays.optional(),
    log_shards: LogShards.optional(),
  })
  .openapi("UpdateTenantInput");
