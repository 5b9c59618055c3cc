import { z } from "@hono/zod-openapi";
import { API_KEY_SCOPES } from "../../domain/api-keys";
import { TENANT_ID_PATTERN, Timestamp } from "../common";

const ScopeSchema = z
  .enum(API_KEY_SCOPES)
  .openapi({ description: "admin: everything; ingest: post events; read: every GET." });

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01jd0000000000000000000000" }),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    tenant_id: z.string().nullable(),
    hint: z
      .string()
      .openapi({ description: "The first characters of the key, to recognise it.", example: "ek_AbCdEf" }),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The key itself. Shown only in this answer: store it now." }),
}).openapi("CreatedApiKey");

export const CreateApiKeyInput = z
  .strictObject({
    name: z.string().min(1).max(200).openapi({ example: "ingest from billing" }),
    scopes: z.array(ScopeSchema).min(1).max(3),
    tenant_id: z
      .string()
      .regex(TENANT_ID_PATTERN)
      .optional()
      .openapi({ description: "Restrict the key to one tenant: it sees nothing of any other." }),
  })
  .openapi("CreateApiKeyInput");
