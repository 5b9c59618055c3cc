/** Path parameters and small schemas shared by several resources. */
import { z } from "@hono/zod-openapi";
import { type IdPrefix, idPattern } from "../db/ids";
import { MetadataSchema as MetadataRule } from "../domain/metadata";

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const TenantIdParam = z
  .string()
  .regex(TENANT_ID_PATTERN, "tenant ids are 1..64 characters of A-Z a-z 0-9 _ . : -")
  .openapi({ param: { name: "tenant_id", in: "path" }, example: "org_xyz789" });

/** A prefixed id (`ep_...`), for a query filter. */
export const idField = (prefix: IdPrefix) =>
  z
    .string()
    .regex(idPattern(prefix), `not a valid ${prefix}_ id`)
    .openapi({ example: `${prefix}_01jd0000000000000000000000` });

/** A prefixed id as a path parameter. */
export const idParam = (name: string, prefix: IdPrefix) => idField(prefix).openapi({ param: { name, in: "path" } });

export const METADATA_DOC = { example: { plan: "pro" } };
export const MetadataSchema = MetadataRule.openapi(METADATA_DOC);

export const Timestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T12:00:00.000Z" });

/** RFC 3339 input, parsed to epoch milliseconds. */
export const TimestampInput = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), "must be an RFC 3339 timestamp")
  .transform((s) => Date.parse(s))
  .openapi({ type: "string", format: "date-time", example: "2026-11-22T12:00:00Z" });

/**
 * Any JSON value, as a recursive component of the document (`JsonValue`), so a generated client
 * types a free-form JSON field as JSON instead of `Record<string, never>`. Array items are left
 * open (`{}`): a union whose array member refers to the union itself is a circular type alias in
 * openapi-typescript's output, while an object member referring to it is fine.
 */
const JSON_VALUE_REF = { $ref: "#/components/schemas/JsonValue" };
export const JSON_VALUE_COMPONENT = {
  description: "Any JSON value.",
  anyOf: [
    { type: "string" as const },
    { type: "number" as const },
    { type: "boolean" as const },
    { type: "null" as const },
    { type: "array" as const, items: {} },
    { type: "object" as const, additionalProperties: JSON_VALUE_REF },
  ],
};
/** A JSON object whose values are any JSON (an endpoint's filter, a JSON Schema). */
export const JSON_OBJECT_DOC = { type: "object" as const, additionalProperties: JSON_VALUE_REF };

/** A plain event-type name (`job.completed`): what an event and the catalog carry, never a pattern. */
export const EVENT_TYPE_NAME_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
