/**
 * The event-type catalog. A type with a JSON `schema` makes ingest validate `data` against it
 * (422 naming each failing path). Compiled validators are cached per isolate for a short while so
 * ingest does not read the catalog from D1 on every event; this isolate's cache is dropped on
 * every change, other isolates see a change within CATALOG_TTL_MS.
 */
import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";
import { asc, eq, gt } from "drizzle-orm";
import { eventTypes } from "../db/schema";
import { patternMessage, prepareSchema } from "../delivery/schema-cost";
import { ApiError, type ErrorIssue, notFound } from "../errors";
import { log } from "../lib/log";
import { iso } from "../lib/time";
import type { ServiceCtx } from "./context";

const CATALOG_TTL_MS = 30_000;

type EventTypeRow = typeof eventTypes.$inferSelect;

interface CachedType {
  row: EventTypeRow | null;
  validator: Validator | null;
  at: number;
}

const cache = new Map<string, CachedType>();

export function eventTypeView(row: EventTypeRow) {
  return {
    name: row.name,
    description: row.description,
    schema: row.schema ?? null,
    example: row.example ?? null,
    deprecated: row.deprecated,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** JSON Pointer "#/items/0/sku" → "data.items.0.sku", the path the API names in `issues`. */
function issuePath(instanceLocation: string): string {
  const parts = instanceLocation
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((p) => decodeURIComponent(p.replace(/~1/g, "/").replace(/~0/g, "~")));
  return ["data", ...parts].join(".");
}

function schemaIssues(validator: Validator, data: unknown): ErrorIssue[] {
  const result = validator.validate(data);
  if (result.valid) return [];
  // The deepest errors say the most; keep one per path.
  const byPath = new Map<string, string>();
  for (const e of result.errors as OutputUnit[]) {
    const path = issuePath(e.instanceLocation);
    if (!byPath.has(path) || e.instanceLocation.length >= path.length) byPath.set(path, patternMessage(e.error));
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

/** The schema's bounded-cost copy (see schema-cost.ts), as a validator, or its issues. */
function compile(schema: unknown): { validator: Validator } | { issues: ErrorIssue[] } {
  const prepared = prepareSchema(schema);
  if (!prepared.ok) return { issues: prepared.issues };
  return { validator: new Validator(prepared.schema as Schema | boolean, "2020-12", false) };
}

// Compiled validators per type and version (its updated_at): a schema is compiled once per
// isolate, not on every catalog refresh or every validation.
const compiled = new Map<string, Validator | null>();
export function compiledSchema(name: string, version: number, schema: unknown): Validator | null {
  const key = `${name}@${version}`;
  let validator = compiled.get(key);
  if (validator === undefined) {
    const result = schema === null || schema === undefined ? { validator: null } : compile(schema);
    if ("issues" in result) {
      // Stored before these checks existed: validating it could cost without bound, so ingest
      // skips it until the operator updates the type (PATCH answers the issues).
      log.warn("event_type.schema_unsafe", { event_type: name, issues: result.issues.map((i) => i.path).join(",") });
      validator = null;
    } else validator = result.validator;
    if (compiled.size > 1000) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, validator);
  }
  return validator;
}

/** Refuses a schema the validator cannot use, and an example that does not match its schema. */
function checkSchemaAndExample(schema: unknown, example: unknown): ErrorIssue[] {
  if (schema === undefined || schema === null) return [];
  if (typeof schema !== "boolean" && (typeof schema !== "object" || Array.isArray(schema))) {
    return [{ path: "schema", message: "a JSON Schema is an object (or a boolean)" }];
  }
  let validator: Validator;
  try {
    const result = compile(schema);
    if ("issues" in result) return result.issues;
    validator = result.validator;
    validator.validate(null);
  } catch (err) {
    return [{ path: "schema", message: `not a usable JSON Schema: ${(err as Error).message}` }];
  }
  if (example === undefined || example === null) return [];
  return schemaIssues(validator, example).map((i) => ({
    path: `example${i.path.slice("data".length)}`,
    message: i.message,
  }));
}

async function lookup(ctx: ServiceCtx, name: string, now: number): Promise<CachedType> {
  const hit = cache.get(name);
  if (hit && now - hit.at < CATALOG_TTL_MS) return hit;
  const row = (await ctx.db.select().from(eventTypes).where(eq(eventTypes.name, name)).get()) ?? null;
  const entry = { row, validator: row ? compiledSchema(row.name, row.updatedAt, row.schema) : null, at: now };
  cache.set(name, entry);
  if (cache.size > 1000) cache.delete(cache.keys().next().value!);
  return entry;
}

/** For each event, the schema issues of its data (empty when it passes or its type has no schema). */
export async function validateAgainstCatalog(ctx: ServiceCtx, items: { type: string; data: unknown }[]) {
  const now = Date.now();
  const out: { issues: ErrorIssue[]; deprecated: boolean }[] = [];
  for (const item of items) {
    const entry = await lookup(ctx, item.type, now);
    out.push({
      issues: entry.validator ? schemaIssues(entry.validator, item.data) : [],
      deprecated: entry.row?.deprecated ?? false,
    });
  }
  return out;
}

export async function exampleOf(ctx: ServiceCtx, name: string): Promise<unknown> {
  return (await lookup(ctx, name, Date.now())).row?.example ?? undefined;
}

export async function createEventType(
  ctx: ServiceCtx,
  input: { name: string; description?: string; schema?: unknown; example?: unknown; deprecated?: boolean },
) {
  const issues = checkSchemaAndExample(input.schema, input.example);
  if (issues.length) throw new ApiError("bad_request", "invalid event type", issues);
  const now = Date.now();
  const row = await ctx.db
    .insert(eventTypes)
    .values({
      name: input.name,
      description: input.description ?? "",
      schema: (input.schema as EventTypeRow["schema"]) ?? null,
      example: input.example ?? null,
      deprecated: input.deprecated ?? false,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  if (!row) throw new ApiError("conflict", `event type '${input.name}' already exists`);
  cache.delete(input.name);
  return row;
}

export async function getEventType(ctx: ServiceCtx, name: string) {
  const row = await ctx.db.select().from(eventTypes).where(eq(eventTypes.name, name)).get();
  if (!row) throw notFound("event type");
  return row;
}

export async function listEventTypes(ctx: ServiceCtx, opts: { limit: number; after?: string }) {
  return ctx.db
    .select()
    .from(eventTypes)
    .where(opts.after ? gt(eventTypes.name, opts.after) : undefined)
    .orderBy(asc(eventTypes.name))
    .limit(opts.limit + 1)
    .all();
}

export async function updateEventType(
  ctx: ServiceCtx,
  name: string,
  patch: { description?: string; schema?: unknown; example?: unknown; deprecated?: boolean },
) {
  const current = await getEventType(ctx, name);
  const schema = patch.schema !== undefined ? patch.schema : current.schema;
  const example = patch.example !== undefined ? patch.example : current.example;
  const issues = checkSchemaAndExample(schema, example);
  if (issues.length) throw new ApiError("bad_request", "invalid event type", issues);
  const set: Partial<EventTypeRow> = { updatedAt: Date.now() };
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.schema !== undefined) set.schema = patch.schema as EventTypeRow["schema"];
  if (patch.example !== undefined) set.example = patch.example;
  if (patch.deprecated !== undefined) set.deprecated = patch.deprecated;
  const row = await ctx.db.update(eventTypes).set(set).where(eq(eventTypes.name, name)).returning().get();
  cache.delete(name);
  if (!row) throw notFound("event type");
  return row;
}

export async function deleteEventType(ctx: ServiceCtx, name: string) {
  const row = await ctx.db.delete(eventTypes).where(eq(eventTypes.name, name)).returning().get();
  cache.delete(name);
  if (!row) throw notFound("event type");
}
