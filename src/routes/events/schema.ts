import { z } from "@hono/zod-openapi";
import { isReservedType, RESERVED_TYPE_PREFIX } from "../../delivery/match";
import { EVENT_TYPE_NAME_PATTERN, Timestamp, TimestampInput } from "../common";
import { ChannelsSchema } from "../endpoints/schema";

/** An event's ordering key: its deliveries to one endpoint form a lane (docs/contract.md, Ordering). */
export const OrderingKey = z.string().min(1).max(255);

export const EventTypeName = z
  .string()
  .min(1)
  .max(200)
  .regex(EVENT_TYPE_NAME_PATTERN, "event types are dot-separated names like `job.completed`, not patterns")
  // Edgehooks' own alerts to tenants live there; a producer's event must never pass for one.
  .refine((t) => !isReservedType(t), `types under \`${RESERVED_TYPE_PREFIX}\` are reserved for Edgehooks' own alerts`)
  .openapi({ example: "job.completed" });

export const CreateEventInput = z
  .strictObject({
    type: EventTypeName,
    data: z
      .any()
      .refine((v) => v !== undefined, "required: any JSON value")
      .openapi({
        description: "Any JSON value; delivered as the envelope's `data`.",
        example: { job_id: "job_123", status: "done" },
      }),
    id: z.string().min(1).max(255).optional().openapi({
      description: "Your id for this event; a repeat within 24 h answers the same event (like `Idempotency-Key`).",
    }),
    channels: ChannelsSchema.max(10).optional(),
    ordering_key: OrderingKey.optional().openapi({
      description:
        "Same key, same endpoint: strictly in ingest order, each delivery numbered in `webhook-sequence` (1, 2, 3…).",
    }),
    deliver_at: TimestampInput.optional().openapi({
      description: "Deliver no earlier than this; at most the tenant's `retention_days` ahead (400 beyond).",
    }),
    expires_at: TimestampInput.optional().openapi({
      description: "Cancel what is not delivered by then; at most the tenant's `retention_days` ahead (400 beyond).",
    }),
  })
  .refine((e) => e.deliver_at === undefined || e.expires_at === undefined || e.expires_at > e.deliver_at, {
    message: "expires_at must be after deliver_at",
    path: ["expires_at"],
  })
  .openapi("CreateEventInput");

export const EventSchema = z
  .object({
    id: z.string().openapi({ example: "evt_01jd0000000000000000000000" }),
    tenant_id: z.string(),
    type: z.string(),
    data: z.any().optional().openapi({ description: "Present on reads; left out of the 202 answer." }),
    channels: z.array(z.string()),
    ordering_key: z.string().nullable(),
    deliver_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    created_at: Timestamp,
    type_deprecated: z
      .boolean()
      .optional()
      .openapi({ description: "Present (true) on ingest when the type is deprecated in the catalog." }),
  })
  .openapi("Event");

export const BatchInput = z
  // Items are documented as CreateEventInput but checked one by one in the route, so one bad
  // event does not refuse the others.
  .strictObject({
    events: z
      .array(z.unknown().openapi({ allOf: [{ $ref: "#/components/schemas/CreateEventInput" }] }))
      .min(1)
      .max(100),
  })
  .openapi("BatchEventsInput", { description: "1..100 events, each shaped like CreateEventInput." });

const BatchItemResult = z.union([
  EventSchema.omit({ data: true }),
  z.object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  }),
]);

export const BatchResult = z.object({ data: z.array(BatchItemResult) }).openapi("BatchEventsResult");
