import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { authorize } from "../../auth/guard";
import type { AppEnv } from "../../http/context";
import { apiRoute, errorResponse, jsonBody, jsonResponse } from "../../http/openapi";
import { isoOrNull } from "../../lib/time";
import {
  commitRotation,
  DEFAULT_GRACE_S,
  MAX_GRACE_S,
  revealSecret,
  rotateSecret,
} from "../../services/endpoint-secrets";
import { idParam, TenantIdParam, Timestamp } from "../common";
import { OwnSecretField } from "./schema";

const EndpointPath = z.object({ tenant_id: TenantIdParam, endpoint_id: idParam("endpoint_id", "ep") });
const base = "/v1/tenants/{tenant_id}/endpoints/{endpoint_id}";

const RotateSecretInput = z
  .strictObject({
    grace_period_s: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_S)
      .optional()
      .openapi({
        description: `How long the previous secret keeps signing, 0..${MAX_GRACE_S} s (default ${DEFAULT_GRACE_S}).`,
      }),
    secret: OwnSecretField.optional(),
  })
  .openapi("RotateSecretInput");

const RotatedSecretSchema = z
  .object({
    endpoint_id: z.string(),
    secret: z.string().openapi({
      description: "The new signing secret. Shown only in this answer (and by GET .../secret where allowed).",
    }),
    previous_secrets_expire_at: Timestamp.nullable().openapi({
      description: "When the old secrets stop signing (null: none left).",
    }),
    live_secrets: z.number().openapi({ description: "How many secrets sign each request now." }),
    pending_commit: z.boolean().openapi({
      description:
        "True when the endpoint's single-valued vendor header (hmac-sha256-hex) still signs with the previous secret: call rotate-secret/commit once the receiver holds the new one (or wait for the grace period to end).",
    }),
  })
  .openapi("RotatedSecret");

const CommittedRotationSchema = z
  .object({
    endpoint_id: z.string(),
    previous_secrets_expire_at: Timestamp.nullable().openapi({
      description: "When the old secrets stop signing `webhook-signature` (null: none left).",
    }),
    live_secrets: z.number(),
    pending_commit: z.literal(false),
  })
  .openapi("CommittedRotation");

const RevealedSecretSchema = z
  .object({ secret: z.string().openapi({ description: "The current signing secret." }) })
  .openapi("RevealedSecret");

export function registerRotateSecretRoute(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    apiRoute({
      method: "post",
      path: `${base}/rotate-secret`,
      tags: ["Endpoints"],
      operationId: "rotateEndpointSecret",
      summary: "Rotate the signing secret (the old one signs on during a grace period)",
      description:
        "Answers the new secret once. Every live secret signs `webhook-signature`; a vendor-style header (hmac-sha256-hex) keeps the previous secret until `rotate-secret/commit` or the end of the grace period. Raises `endpoint.secret_rotated`.",
      request: { params: EndpointPath, body: { ...jsonBody(RotateSecretInput), required: false } },
      responses: {
        200: jsonResponse(RotatedSecretSchema, "The new secret, shown once."),
        409: errorResponse("The endpoint kept changing concurrently; try again."),
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const result = await rotateSecret(c.var.services, tenant_id, endpoint_id, c.req.valid("json") ?? {});
      return c.json(
        {
          endpoint_id,
          secret: result.secret,
          previous_secrets_expire_at: isoOrNull(result.previousExpireAt),
          live_secrets: result.liveSecrets,
          pending_commit: result.pendingCommit,
        },
        200,
      );
    },
  );

  app.openapi(
    apiRoute({
      method: "post",
      path: `${base}/rotate-secret/commit`,
      operationId: "commitEndpointSecretRotation",
      tags: ["Endpoints"],
      summary: "Commit a rotation: the vendor-style header signs with the new secret from now on",
      description:
        "Call it after the receiver holds the new secret. The old secrets still sign `webhook-signature` until their grace period ends. Nothing pending: answers the same, changes nothing.",
      request: { params: EndpointPath },
      responses: {
        200: jsonResponse(CommittedRotationSchema, "The rotation is committed."),
        409: errorResponse("The endpoint kept changing concurrently; try again."),
      },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      const result = await commitRotation(c.var.services, tenant_id, endpoint_id);
      return c.json(
        {
          endpoint_id,
          previous_secrets_expire_at: isoOrNull(result.previousExpireAt),
          live_secrets: result.liveSecrets,
          pending_commit: false as const,
        },
        200,
      );
    },
  );

  app.openapi(
    apiRoute({
      method: "get",
      path: `${base}/secret`,
      operationId: "getEndpointSecret",
      tags: ["Endpoints"],
      summary: "Reveal the current signing secret",
      description:
        "Admin scope (a portal session that is not read-only). A deployment with `SECRET_REVEAL=false` answers 403. `auth` values are never revealed.",
      request: { params: EndpointPath },
      responses: { 200: jsonResponse(RevealedSecretSchema, "The current signing secret.") },
    }),
    async (c) => {
      const { tenant_id, endpoint_id } = c.req.valid("param");
      authorize(c, "admin", tenant_id);
      // The answer holds a secret: no cache may keep it.
      c.header("cache-control", "no-store");
      return c.json(await revealSecret(c.var.services, tenant_id, endpoint_id), 200);
    },
  );
}
