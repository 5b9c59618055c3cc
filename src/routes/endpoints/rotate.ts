import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, jsonBody, jsonResponse } from "../../http/openapi";
import { isoOrNull } from "../../http/time";
import { serviceCtx } from "../../services/context";
import { DEFAULT_GRACE_S, MAX_GRACE_S, rotateSecret } from "../../services/endpoint-secrets";
import { emitOperational } from "../../services/operational";
import { idParam, TenantIdParam, Timestamp } from "../common";

const RotateSecretInput = z
  .strictObject({
    grace_period_s: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_S)
      .optional()
      .openapi({ description: `How long the previous secret keeps signing, 0..${MAX_GRACE_S} s (default ${DEFAULT_GRACE_S}).` }),
  })
  .openapi("RotateSecretInput");

const RotatedSecretSchema = z
  .object({
    endpoint_id: z.string(),
    secret: z.string().openapi({ description: "The new signing secret. Shown only in this answer." }),
    previous_secrets_expire_at: Timestamp.nullable().openapi({ description: "When the old secrets stop signing (null: none left)." }),
    live_secrets: z.number().openapi({ description: "How many secrets sign each request now." }),
  })
  .openapi("RotatedSecret");

export function registerRotateSecretRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret",
      tags: ["Endpoints"],
      operationId: "rotateEndpointSecret",
      summary: "Rotate the signing secret (the old one signs on during a grace period)",
      request: {
        params: z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") }),
        body: { ...jsonBody(RotateSecretInput), required: false },
      },
      responses: { 200: jsonResponse(RotatedSecretSchema, "The new secret, shown once.") },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const ctx = serviceCtx(c.env);
      const result = await rotateSecret(ctx, tenant_id, endpoint_id, c.req.valid("json")?.grace_period_s ?? DEFAULT_GRACE_S);
      await emitOperational(ctx, [{ type: "endpoint.updated", tenantId: tenant_id, data: { endpoint_id, change: "secret_rotated" } }]);
      return c.json(
        { endpoint_id, secret: result.secret, previous_secrets_expire_at: isoOrNull(result.previousExpireAt), live_secrets: result.liveSecrets },
        200,
      );
    },
  );
}
