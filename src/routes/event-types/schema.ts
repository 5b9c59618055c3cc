import { z } from "@hono/zod-openapi";
import { Timestamp } from "../common";
import { EventTypeName } from "../events/schema";

const JsonSchemaField = z.union([z.record(z.string(), z.unknown()), z.boolean()]).openapi({
  description: "A JSON Schema (2020-12) that `data` must match at ingest.",
  example: { type: "object", required: ["job_id"], properties: { job_id: { type: "string" } } },
});

export const EventTypeSchema = z
  .object({
    name: z.string().openapi({ example: "job.completed" }),
    description: z.string(),
    schema: z.any().nullable(),
    example: z.any().nullable(),
    deprecated: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("EventType");

export const CreateEventTypeInput = z
  .strictObject({
    name: EventTypeName,
    description: z.string().max(2000).optional(),
    schema: JsonSchemaField.optional(),
    example: z.any().optional().openapi({ description: "Sent by the endpoint test button when it gets no data." }),
    deprecated: z
      .boolean()
      .optional()
      .openapi({ description: "Still delivered; flagged in the catalog and on ingest." }),
  })
  .openapi("CreateEventTypeInput");

export const UpdateEventTypeInput = CreateEventTypeInput.omit({ name: true })
  .extend({ schema: JsonSchemaField.nullable().optional(), example: z.any().optional() })
  .openapi("UpdateEventTypeInput");
