import { z } from "@hono/zod-openapi";
import { EVENT_TYPE_PATTERN, isReservedType, RESERVED_TYPE_PREFIX } from "../../delivery/match";
import { FilterSchema as PayloadFilterSchema } from "../../delivery/filter";
import { RetryPolicySchema as RetryPolicyRule } from "../../delivery/retry-policy";
import { headerName, HEADER_VALUE, SignatureProfileSchema } from "../../domain/endpoints";
import { JSON_OBJECT_DOC, MetadataSchema, Timestamp } from "../common";

// The pure core's schemas (plain zod) with the descriptions the API document shows.
const FilterSchema = PayloadFilterSchema.openapi({
  type: "object",
  description: "Match on the event (`data.*`, `type`, `channels`) with $eq $neq $gt $gte $lt $lte $in $nin $exists $regex $and $or $not.",
  example: { "data.total_amount": { $gte: 1000 } },
});

const RetryPolicySchema = RetryPolicyRule.openapi({
  description:
    "A preset ladder (`standard`, `rapid`, `doubling`, `extended`) or a custom `{ schedule_s }`: " +
    "seconds to wait after each failure, 1..20 steps of 1 s .. 7 days. Each delay gets ±20 % jitter.",
  example: "standard",
});

export const EventTypePatternsSchema = z
  .array(z.string().max(200).regex(EVENT_TYPE_PATTERN, "event types are dot-separated names; `job.*` and `*` are patterns"))
  .max(100)
  .openapi({
    description: "Names or patterns (`job.*` matches every type under `job.`, `*` all). Absent: all types.",
    example: ["job.completed", "invoice.*"],
  });

export const ChannelsSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:/-]+$/, "channels are 1..128 characters of A-Z a-z 0-9 _ . : / -"),
  )
  .max(50)
  .openapi({ example: ["parser_123"] });

export const HeadersSchema = z
  .record(headerName, z.string().regex(HEADER_VALUE, "header values are printable text up to 4096 characters"))
  .refine((h) => Object.keys(h).length <= 20, "at most 20 custom headers")
  .openapi({ description: "Extra request headers. Values are encrypted at rest and never returned.", example: { "X-Customer": "acme" } });

export const AuthSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("basic"),
      username: z
        .string()
        .min(1)
        .max(200)
        .regex(/^[^:]*$/, "no ':' in a basic-auth username"),
      password: z.string().min(1).max(500),
    }),
    z.strictObject({ type: z.literal("header"), name: headerName, value: z.string().min(1).regex(HEADER_VALUE) }),
  ])
  .openapi({
    description: "Credentials the receiver expects. Stored encrypted; never returned.",
    example: { type: "header", name: "X-Webhook-Token", value: "s3cr3t" },
  });

export const SignatureSchema = SignatureProfileSchema.openapi({
  description: "Wire profile. `standard` = Standard Webhooks; `hmac-sha256-hex` adds a hex HMAC of the raw body in the named header.",
  example: { scheme: "standard" },
});

export const EnvelopeSchema = z.enum(["standard", "event-data", "jsonapi"]).openapi({ description: "Body shape sent to the receiver." });

const UrlField = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => URL.canParse(u), "not a valid URL (expected https://…)")
  .openapi({ example: "https://example.com/webhooks" });

const endpointFields = {
  url: UrlField,
  description: z.string().max(1000),
  event_types: EventTypePatternsSchema.nullable(),
  channels: ChannelsSchema.nullable(),
  // Documented as a JSON object (or null) so generated clients accept any filter the server does.
  filter: FilterSchema.nullable().openapi({ ...JSON_OBJECT_DOC, type: ["object", "null"] }),
  headers: HeadersSchema,
  auth: AuthSchema.nullable(),
  // null (or absent) = the deployment default (DEFAULT_SIGNATURE / DEFAULT_RETRY_POLICY).
  signature: SignatureSchema.nullable(),
  envelope: EnvelopeSchema,
  retry_policy: RetryPolicySchema.nullable(),
  rate_limit_per_s: z.number().int().min(1).max(10000).nullable().openapi({ description: "At most this many attempts per second." }),
  max_in_flight: z.number().int().min(1).max(1000).nullable().openapi({ description: "At most this many requests open at once." }),
  timeout_ms: z.number().int().min(1000).max(30000).openapi({ description: "Per-attempt timeout, default 15000." }),
  metadata: MetadataSchema,
  disabled: z.boolean(),
};

/** A brought signing secret; its shape per scheme is checked by the verb (it depends on `signature`). */
export const OwnSecretField = z.string().min(1).max(300).openapi({
  description:
    "Bring your own signing secret (e.g. when moving existing subscribers). `standard`: `whsec_` + base64 of 24..64 bytes; `hmac-sha256-hex`: any printable ASCII string of 16..256 characters, used as is. Absent: a fresh `whsec_` secret.",
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
});

export const CreateEndpointInput = z
  .strictObject({
    url: endpointFields.url,
    description: endpointFields.description.optional(),
    event_types: endpointFields.event_types.optional(),
    channels: endpointFields.channels.optional(),
    filter: endpointFields.filter.optional(),
    headers: endpointFields.headers.optional(),
    auth: endpointFields.auth.optional(),
    signature: endpointFields.signature.optional(),
    envelope: endpointFields.envelope.optional(),
    retry_policy: endpointFields.retry_policy.optional(),
    rate_limit_per_s: endpointFields.rate_limit_per_s.optional(),
    max_in_flight: endpointFields.max_in_flight.optional(),
    timeout_ms: endpointFields.timeout_ms.optional(),
    metadata: endpointFields.metadata.optional(),
    disabled: endpointFields.disabled.optional(),
    secret: OwnSecretField.optional(),
  })
  .openapi("CreateEndpointInput");

// The secret changes only through rotate-secret, which keeps the old one signing for a while.
export const UpdateEndpointInput = CreateEndpointInput.omit({ secret: true }).partial().openapi("UpdateEndpointInput");

export type CreateEndpoint = z.infer<typeof CreateEndpointInput>;
export type UpdateEndpoint = z.infer<typeof UpdateEndpointInput>;

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
    auth: z.object({ type: z.enum(["basic", "header"]) }).nullable(),
    signature: SignatureSchema,
    envelope: EnvelopeSchema,
    retry_policy: RetryPolicySchema,
    rate_limit_per_s: z.number().nullable(),
    max_in_flight: z.number().nullable(),
    timeout_ms: z.number(),
    metadata: z.record(z.string(), z.string()),
    status: z.enum(["active", "disabled"]),
    disabled_reason: z.enum(["manual", "gone", "failing"]).nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Endpoint");

export const CreatedEndpointSchema = EndpointSchema.extend({
  secret: z
    .string()
    .openapi({ description: "The signing secret (`whsec_...`). Shown only in this answer.", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
}).openapi("CreatedEndpoint");

/** A concrete event type a test may send; Edgehooks' own alert types cannot be spoofed. */
const TestEventType = z
  .string()
  .max(200)
  .regex(EVENT_TYPE_PATTERN)
  .refine((t) => !t.includes("*"), "a concrete type, not a pattern")
  .refine((t) => !isReservedType(t), `types under \`${RESERVED_TYPE_PREFIX}\` are Edgehooks' own alerts`);

export const TestEndpointInput = z
  .strictObject({
    event_type: TestEventType.optional(),
    data: z.unknown().optional(),
  })
  .openapi("TestEndpointInput");

export const TestUrlInput = z
  .strictObject({
    url: endpointFields.url,
    event_type: TestEventType.optional().openapi({ description: "Default `webhook.test`." }),
    data: z.unknown().optional().openapi({ description: "Default `{ message, timestamp }`, or the catalog's example for `event_type`." }),
    secret: OwnSecretField.optional().openapi({
      description: "Sign with this secret (checked against `signature` like an endpoint's). Absent: a fresh one, answered.",
    }),
    signature: endpointFields.signature.optional(),
    envelope: endpointFields.envelope.optional(),
    headers: endpointFields.headers.optional(),
    auth: endpointFields.auth.optional(),
    timeout_ms: endpointFields.timeout_ms.optional(),
  })
  .openapi("TestUrlInput");
export type TestUrl = z.infer<typeof TestUrlInput>;

export const AttemptSchema = z
  .object({
    id: z.string(),
    delivery_id: z.string(),
    endpoint_id: z.string(),
    event_id: z.string(),
    number: z.number(),
    trigger: z.enum(["scheduled", "manual", "test", "recover"]),
    url: z.string(),
    started_at: Timestamp,
    duration_ms: z.number(),
    status_code: z.number().nullable(),
    response_body: z.string().nullable().openapi({ description: "The first 16 KiB of the response body." }),
    error: z.enum(["timeout", "connection", "dns", "blocked_destination", "tls"]).nullable(),
    error_detail: z.string().nullable(),
    request_headers: z.record(z.string(), z.string()).openapi({ description: "Headers sent, secrets masked." }),
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
    error: z.enum(["timeout", "connection", "dns", "blocked_destination", "tls"]).nullable(),
    error_detail: z.string().nullable(),
    request_headers: z.record(z.string(), z.string()).openapi({ description: "Headers sent, secrets masked." }),
    secret: z.string().openapi({ description: "The secret the request was signed with (the given one, or a fresh one to keep for the endpoint)." }),
  })
  .openapi("TestUrlResult");

export const TestFilterInput = z
  .strictObject({
    data: z
      .any()
      .refine((v) => v !== undefined, "required: the event's data")
      .openapi({ example: { total_amount: 1500 } }),
    type: z.string().max(200).optional().openapi({ description: "The event type to test with (default `webhook.test`)." }),
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
