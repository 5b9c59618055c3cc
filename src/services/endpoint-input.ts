/**
 * What the endpoint verbs accept (create, update, test a URL): each field's rule once, in plain
 * zod. src/routes/endpoints/schema.ts adds the API descriptions to these same schemas and the
 * portal parses its forms with them, so the verbs never reach up to a route for their input types.
 * Here rather than in src/domain: the filter, retry-policy and event-type rules they are made of
 * are the pure core's, which sits above the domain.
 */
import { z } from "zod";
import { FilterSchema } from "../delivery/filter";
import { EVENT_TYPE_PATTERN, isReservedType, RESERVED_TYPE_PREFIX } from "../delivery/match";
import { RetryPolicySchema } from "../delivery/retry-policy";
import { HEADER_VALUE, headerName, SignatureProfileSchema } from "../domain/endpoint-rules";
import { ENVELOPES } from "../domain/endpoints";
import { MetadataSchema } from "../domain/metadata";

export const EventTypePatternsSchema = z
  .array(
    z.string().max(200).regex(EVENT_TYPE_PATTERN, "event types are dot-separated names; `job.*` and `*` are patterns"),
  )
  .max(100);

export const ChannelsSchema = z
  .array(
    z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.:/-]+$/, "channels are 1..128 characters of A-Z a-z 0-9 _ . : / -"),
  )
  .max(50);

export const HeadersSchema = z
  .record(headerName, z.string().regex(HEADER_VALUE, "header values are printable text up to 4096 characters"))
  .refine((h) => Object.keys(h).length <= 20, "at most 20 custom headers");

export const AuthSchema = z.discriminatedUnion("type", [
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
]);

export const EnvelopeSchema = z.enum(ENVELOPES);

const UrlSchema = z
  .string()
  .min(1)
  .max(2048)
  .refine((u) => URL.canParse(u), "not a valid URL (expected https://…)");

/** A brought signing secret; its shape per scheme is checked by the verb (it depends on `signature`). */
export const OwnSecretSchema = z.string().min(1).max(300);

/** A concrete event type a test may send; Edgehooks' own alert types cannot be spoofed. */
export const TestEventTypeSchema = z
  .string()
  .max(200)
  .regex(EVENT_TYPE_PATTERN)
  .refine((t) => !t.includes("*"), "a concrete type, not a pattern")
  .refine((t) => !isReservedType(t), `types under \`${RESERVED_TYPE_PREFIX}\` are Edgehooks' own alerts`);

// null (or absent) on signature and retry_policy = the deployment default (DEFAULT_SIGNATURE / DEFAULT_RETRY_POLICY).
export const CreateEndpointInput = z.strictObject({
  url: UrlSchema,
  description: z.string().max(1000).optional(),
  event_types: EventTypePatternsSchema.nullable().optional(),
  channels: ChannelsSchema.nullable().optional(),
  filter: FilterSchema.nullable().optional(),
  headers: HeadersSchema.optional(),
  auth: AuthSchema.nullable().optional(),
  signature: SignatureProfileSchema.nullable().optional(),
  envelope: EnvelopeSchema.optional(),
  retry_policy: RetryPolicySchema.nullable().optional(),
  rate_limit_per_s: z.number().int().min(1).max(10000).nullable().optional(),
  max_in_flight: z.number().int().min(1).max(1000).nullable().optional(),
  timeout_ms: z.number().int().min(1000).max(30000).optional(),
  metadata: MetadataSchema.optional(),
  disabled: z.boolean().optional(),
  propagate_traceparent: z.boolean().optional(),
  secret: OwnSecretSchema.optional(),
});

// The secret changes only through rotate-secret, which keeps the old one signing for a while.
export const UpdateEndpointInput = CreateEndpointInput.omit({ secret: true }).partial();

const endpointField = CreateEndpointInput.shape;

/** One signed attempt to a URL that is not an endpoint yet: the endpoint's own rules for what it shares. */
export const TestUrlInput = z.strictObject({
  url: endpointField.url,
  event_type: TestEventTypeSchema.optional(),
  data: z.unknown().optional(),
  secret: endpointField.secret,
  signature: endpointField.signature,
  envelope: endpointField.envelope,
  headers: endpointField.headers,
  auth: endpointField.auth,
  timeout_ms: endpointField.timeout_ms,
});

export type CreateEndpoint = z.infer<typeof CreateEndpointInput>;
export type UpdateEndpoint = z.infer<typeof UpdateEndpointInput>;
export type TestUrl = z.infer<typeof TestUrlInput>;
