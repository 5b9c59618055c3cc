import { z } from "@hono/zod-openapi";
import { DELIVERY_STATUSES } from "../../domain/deliveries";
import { Timestamp } from "../common";
import { AttemptSchema } from "../endpoints/schema";

export const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ example: "dlv_01jd0000000000000000000000" }),
    tenant_id: z.string(),
    event_id: z.string(),
    endpoint_id: z.string(),
    event_type: z.string(),
    status: DeliveryStatusSchema,
    attempt_count: z.number(),
    sequence: z.number().int().nullable().openapi({
      description:
        "Its place in the lane of its endpoint and the event's ordering_key, sent as `webhook-sequence` on every attempt; null for an event without one.",
    }),
    next_attempt_at: Timestamp.nullable(),
    last_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Delivery");

export const DeliveryDetailSchema = DeliverySchema.extend({ attempts: z.array(AttemptSchema) }).openapi(
  "DeliveryDetail",
);
