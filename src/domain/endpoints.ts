/**
 * Endpoint vocabulary shared by D1's schema, the API schemas, the portal and the engine: statuses,
 * disabled reasons, envelopes and auth types. Adding a value to a list here is the whole change for
 * the types, D1 and the API. No zod here: D1's schema loads this file, and a zod schema made before
 * the OpenAPI layer extends zod has no `.openapi()` (the input rules are in ./endpoint-rules.ts).
 */

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
