/**
 * Endpoint vocabulary shared by D1's schema, the API schemas, the portal and the engine: statuses,
 * disabled reasons, envelopes, auth types, header names an endpoint may set and the signature
 * profile. Adding a value to a list here is the whole change for the types, D1 and the API. Plain zod: the OpenAPI descriptions are added by src/routes, so the
 * engine (src/attempts/deployment-defaults.ts parses DEFAULT_SIGNATURE with it) needs no HTTP layer.
 */
import { z } from "zod";

export const ENDPOINT_STATUSES = ["active", "disabled"] as const;
export type EndpointStatus = (typeof ENDPOINT_STATUSES)[number];

/** Why an endpoint is disabled: by hand, by its receiver (410 or `webhook-delivery: disable`), or after failing too long. */
export const DISABLED_REASONS = ["manual", "gone", "failing"] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];
/** The reasons the dispatcher applies on its own (src/delivery/outcome.ts). */
export type ReceiverDisableReason = Exclude<DisabledReason, "manual">;

/** How an event is wrapped in the body sent (src/delivery/envelope.ts). */
export const ENVELOPES = ["standard", "event-data", "jsonapi"] as const;
export type Envelope = (typeof ENVELOPES)[number];

/** How an endpoint authenticates to its receiver, besides the signature. */
export const AUTH_TYPES = ["basic", "header"] as const;

/** Headers Edgehooks sets itself; an endpoint's custom headers may not override them. */
const RESERVED_HEADER = /^(host|content-type|content-length|user-agent|connection|transfer-encoding|webhook-.*)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4096}$/;

export const headerName = z
  .string()
  .regex(HEADER_NAME, "not a valid header name")
  .refine((n) => !RESERVED_HEADER.test(n), "this header is set by Edgehooks and cannot be overridden");

export const SignatureProfileSchema = z.discriminatedUnion("scheme", [
  z.strictObject({ scheme: z.literal("standard") }),
  z.strictObject({
    scheme: z.literal("hmac-sha256-hex"),
    header: headerName,
    // Sent inside a header value: CR/LF or other control characters would split or corrupt it.
    prefix: z
      .string()
      .max(50)
      .regex(/^[\x20-\x7e]*$/, "printable ASCII only (no CR, LF or other control characters)")
      .default(""),
  }),
]);
