import { z } from "@hono/zod-openapi";
import { TENANT_ENVIRONMENTS } from "../../db/schema";
import { MetadataSchema, TENANT_ID_PATTERN, Timestamp } from "../common";

const EnvironmentField = z.enum(TENANT_ENVIRONMENTS).openapi({
  description:
    "`production` (default) or `sandbox`: a sandbox tenant's endpoints may use http:// URLs even where the deployment allows only https (private and loopback addresses stay refused). Leaving the sandbox while endpoints use http:// answers 409.",
});

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: "org_xyz789" }),
    name: z.string().openapi({ example: "Acme Corp" }),
    metadata: z.record(z.string(), z.string()),
    environment: z.enum(TENANT_ENVIRONMENTS),
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
      .openapi({ description: "Your own id for this customer (e.g. your org id). Generated when absent.", example: "org_xyz789" }),
    name: z.string().min(1).max(200).openapi({ example: "Acme Corp" }),
    metadata: MetadataSchema.optional(),
    environment: EnvironmentField.optional(),
  })
  .openapi("CreateTenantInput");

export const UpdateTenantInput = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    metadata: MetadataSchema.optional(),
    environment: EnvironmentField.optional(),
  })
  .openapi("UpdateTenantInput");
