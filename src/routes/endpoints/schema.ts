/**
 * The endpoint API's schemas: the verbs' inputs (src/services/endpoint-input.ts) with the
 * descriptions the document shows, and the answers.
 */

import { z } from "@hono/zod-openapi";
import { RetryPolicySchema as RetryPolicyRule } from "../../delivery/retry-policy";
import { ATTEMPT_ERRORS, ATTEMPT_TRIGGERS } from "../../domain/deliveries";
import { SignatureProfileSchema } from "../../domain/endpoint-rules";
import { AUTH_TYPES, DISABLED_REASONS, ENDPOINT_STATUSES } from "../../domain/endpoints";
import * as input from "../../services/endpoint-input";
import { JSON_OBJECT_DOC, METADATA_DOC, Timestamp } from "../common";

/** An API description, as `.openapi()` takes it. */
type Doc = NonNullable<Parameters<z.ZodType["openapi"]>[1]>;

/**
 * A verb's input schema with the API's words on its fields. Only metadata is added (`.openapi()`
 * copies a schema, rules and all), so what the API accepts is what the verb declares.
 */
function documented<S extends z.ZodObject>(schema: S, docs: { [K in keyof S["shape"]]?: Doc }): S {
  const fields = Object.entries(schema.shape).map(([key, field]) => {
    const doc = docs[key as keyof S["shape"]];
    return [key, doc ? (field as z.ZodType).openapi(doc) : field];
  });
  return schema.extend(Object.fromEntries(fields)) as S;
}

const RETRY_POLICY_DOC: Doc = {
  description:
    "A preset ladder (`standard`, `rapid`, `doubling`, `extended`) or a custom `{ schedule_s }`: " +
    "seconds to wait after each failure, 1..20 steps of 1 s .. 7 days. Each delay gets ±20 % jitter.",
  example: "standard",
};

const SIGNATURE_DOC: Doc = {
  description:
    "Wire profile. `standard` = Standard Webhooks; `hmac-sha256-hex` adds a hex HMAC of the raw body in the named header.",
  example: { scheme: "standard" },
};

const ENVELOPE_DOC: Doc = { description: "Body shape sent to the receiver." };

const CHANNELS_DOC: Doc = { example: ["parser_123"] };

const OWN_SECRET_DOC: Doc = {
  description:
    "Bring your own signing secret (e.g. when moving existing subscribers). `standard`: `whsec_` + base64 of 24..64 bytes; `hmac-sha256-hex`: any printable ASCII string of 16..256 characters, used as is. Absent: a fresh `whsec_` secret.",
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
};

const PROPAGATE_TRACEPARENT_DOC: Doc = {
  description:
    "Send the ingest request's W3C trace (`traceparent`, a new span per attempt) to this endpoint. Default true; false keeps your trace ids from reaching this receiver.",
  example: true,
};

const RetryPolicySchema = RetryPolicyRule.openapi(RETRY_POLICY_DOC);
export const SignatureSchema = SignatureProfileSchema.openapi(SIGNATURE_DOC);
export const EnvelopeSchema = input.EnvelopeSchema.openapi(ENVELOPE_DOC);
export const ChannelsSchema = input.ChannelsSchema.openapi(CHANNELS_DOC);
export const OwnSecretField = input.OwnSecretSchema.openapi(OWN_SECRET_DOC);

/** What the API says about each endpoint field, wherever an input carries it. */
const ENDPOINT_FIELD_DOCS: { [K in keyof typeof input.CreateEndpointInput.shape]?: Doc } = {
  url: { example: "https://example.com/webhooks" },
  event_types: {
    description: "Names or patterns (`job.*` matches every type under `job.`, `*` all). Absent: all types.",
    example: ["job.completed", "invoice.*"],
  },
  channels: CHANNELS_DOC,
  // Documented as a JSON object (or null) so generated clients accept any filter the server does.
  filter: {
    type: ["object", "null"],
    description:
      "Match on the event (`data.*`, `type`, `channels`) with $eq $neq $gt $gte $lt $lte $in $nin $exists $regex $and $or $not.",
    example: { "data.total_amount": { $gte: 1000 } },
    additionalProperties: JSON_OBJECT_DOC.additionalProperties,
  },
  headers: {
    description: "Extra request headers. Values are encrypted at rest and never returned.",
    example: { "X-Customer": "acme" },
  },
  auth: {
    description: "Credentials the receiver expects. Stored encrypted; never returned.",
    example: { type: "header", name: "X-Webhook-Token", value: "s3cr3t" },
  },
  signature: SIGNATURE_DOC,
  envelope: ENVELOPE_DOC,
  retry_policy: RETRY_POLICY_DOC,
  rate_limit_per_s: { description: "At most this many attempts per second." },
  max_in_flight: { description: "At most this many requests open at once." },
  timeout_ms: { description: "Per-attempt timeout, default 15000." },
  metadata: METADATA_DOC,
  secret: OWN_SECRET_DOC,
  propagate_traceparent: PROPAGATE_TRACEPARENT_DOC,
};

export const CreateEndpointInput = documented(input.CreateEndpointInput, ENDPOINT_FIELD_DOCS).openapi(
  "CreateEndpointInput",
);
export const UpdateEndpointInput = documented(input.UpdateEndpointInput, ENDPOINT_FIELD_DOCS).openapi(
  "UpdateEndpointInput",
);

export const EndpointSchema = z
  .object({
    id: z.string().openapi({ example: "ep_01jd0000000000000000000000" }),
    tenant_id: z.string(),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()).nullable(),
    channels: z.array(z.string()).nullable(),
    filter: z.record(z.string(), z.unknown()).nullable(),
    headers: z.record(z.string(), z.string()).openapi({ description: "Custom header names; values are masked." }),
    auth: z.object({ type: z.enum(AUTH_TYPES) }).nullable(),
    signature: SignatureSchema,
    envelope: EnvelopeSchema,
    retry_policy: RetryPolicySchema,
    rate_limit_per_s: z.number().nullable(),
    max_in_flight: z.number().nullable(),
    timeout_ms: z.number(),
    propagate_traceparent: z.boolean().openapi(PROPAGATE_TRACEPARENT_DOC),
    metadata: z.record(z.string(), z.string()),
    status: z.enum(ENDPOINT_STATUSES),
    disabled_reason: z.enum(DISABLED_REASONS).nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Endpoint");

export const MissedSchema = z
  .object({
    count: z
      .number()
      .openapi({ description: "Events of the window the endpoint never got (a `missing` replay's plan)." }),
    since: Timestamp.openapi({ description: "When it was last disabled." }),
    until: Timestamp.openapi({
      description: "When it was enabled again, or 7 days after `since` (the replay window).",
    }),
    capped: z.boolean().openapi({
      description:
        "The count stops short: the disabled time was longer than one replay window (7 days) or more matched than one replay sends (10,000). Replay this window, then one with a later `since`.",
    }),
  })
  .openapi("EndpointMissed");

/** GET /endpoints/{id} and the enable's answer: the endpoint and what it missed while disabled. */
export const EndpointWithMissedSchema = EndpointSchema.extend({
  missed: MissedSchema.nullable().openapi({
    description:
      'What the endpoint missed while it was last disabled, so a replay `{ "mode": "missing", "endpoint_ids": [id], since, until }` can send it; null when it is disabled, or has never been disabled and enabled again.',
  }),
}).openapi("EndpointWithMissed");

export const WarningSchema = z
  .object({
    code: z.enum(["url_shared"]),
    message: z.string(),
    endpoint_ids: z.array(z.string()).openapi({ description: "The other endpoints the warning is about." }),
  })
  .openapi("Warning");

export const CreatedEndpointSchema = EndpointSchema.extend({
  secret: z.string().openapi({
    description: "The signing secret (`whsec_...`). Shown only in this answer.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
  warnings: z.array(WarningSchema).optional().openapi({
    description:
      "Present when the endpoint was created but something about it is likely a mistake: `url_shared` when other endpoints of the tenant already send to this exact URL (an event both match arrives once per endpoint).",
  }),
}).openapi("CreatedEndpoint");

export const TestEndpointInput = z
  .strictObject({
    event_type: input.TestEventTypeSchema.optional(),
    data: z.unknown().optional(),
  })
  .openapi("TestEndpointInput");

export const TestUrlInput = documented(input.TestUrlInput, {
  ...ENDPOINT_FIELD_DOCS,
  event_type: { description: "Default `webhook.test`." },
  data: { description: "Default `{ message, timestamp }`, or the catalog's example for `event_type`." },
  secret: {
    ...OWN_SECRET_DOC,
    description:
      "Sign with this secret (checked against `signature` like an endpoint's). Absent: a fresh one, answered.",
  },
}).openapi("TestUrlInput");

export const AttemptSchema = z
  .object({
    id: z.string(),
    delivery_id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string(),
    number: z.number(),
    trigger: z.enum(ATTEMPT_TRIGGERS),
    url: z.string(),
    started_at: Timestamp,
    duration_ms: z.number(),
    status_code: z.number().nullable(),
    response_body: z.string().nullable().openapi({ description: "The first 16 KiB of the response body." }),
    error: z.enum(ATTEMPT_ERRORS).nullable(),
    error_detail: z.string().nullable(),
    request_headers: z.record(z.string(), z.string()).openapi({
      description:
        "Headers sent, secrets masked; signature headers masked too unless the caller may read the secret (admin scope).",
    }),
  })
  .openapi("Attempt");

export const TestUrlResultSchema = z
  .object({
    id: z.string().openapi({ description: "The attempt's id (not stored: a URL test leaves no delivery in the log)." }),
    event_id: z.string().openapi({ description: "The `webhook-id` sent." }),
    url: z.string(),
    started_at: Timestamp,
    duration_ms: z.number(),
    status_code: z.number().nullable(),
    response_body: z.string().nullable().openapi({ description: "The first 16 KiB of the response body." }),
    error: z.enum(ATTEMPT_ERRORS).nullable(),
    error_detail: z.string().nullable(),
    request_headers: z.record(z.string(), z.string()).openapi({ description: "Headers sent, secrets masked." }),
    secret: z.string().openapi({
      description: "The secret the request was signed with (the given one, or a fresh one to keep for the endpoint).",
    }),
  })
  .openapi("TestUrlResult");

export const TestFilterInput = z
  .strictObject({
    data: z
      .any()
      .refine((v) => v !== undefined, "required: the event's data")
      .openapi({ example: { total_amount: 1500 } }),
    type: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "The event type to test with (default `webhook.test`)." }),
    channels: z.array(z.string()).max(10).optional(),
  })
  .openapi("TestFilterInput");

export const TestFilterResult = z
  .object({
    matches: z.boolean().openapi({ description: "Whether an event like this would be delivered to the endpoint." }),
    filter_matches: z.boolean(),
    event_type_matches: z.boolean(),
    channels_match: z.boolean(),
  })
  .openapi("TestFilterResult");
