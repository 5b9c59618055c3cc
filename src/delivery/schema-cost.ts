/**
 * Event-type schemas at a bounded cost. @cfworker/json-schema runs `pattern` with V8's
 * backtracking RegExp, compiled on every validation, and checks `uniqueItems` by comparing every
 * pair of items. `prepareSchema` refuses what cannot be run safely and rewrites what can:
 * - each `pattern` becomes a `format` the validator looks up in its (exported, mutable) format
 *   table, registered here as an RE2 test (linear time, compiled once); strings longer than
 *   MAX_REGEX_INPUT do not match it;
 * - `uniqueItems: true` needs a `maxItems` of at most MAX_UNIQUE_ITEMS beside it (the validator
 *   checks maxItems too, so the quadratic check never sees more items than that);
 * - `patternProperties` is refused: its patterns run on V8 inside the library, out of reach;
 * - at most MAX_PATTERNS patterns, MAX_SCHEMA_BYTES of JSON, MAX_SCHEMA_DEPTH levels, so the
 *   work is about (schema size × data size) with both bounded.
 * The stored schema is never changed: the rewrite is a copy made when the schema is compiled.
 */
import { format } from "@cfworker/json-schema";
import { compileRegex, MAX_REGEX_INPUT } from "./linear-regex";

const MAX_UNIQUE_ITEMS = 100;
const MAX_PATTERNS = 10;
const MAX_SCHEMA_BYTES = 64 * 1024;
const MAX_SCHEMA_DEPTH = 32;

/** The format names that stand for RE2 patterns; the message the API shows names the pattern. */
const RE2_FORMAT_PREFIX = "edgehooks-re2:";

type Issue = { path: string; message: string };
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

// Keywords whose value is one subschema, a list of them, or a map of name → subschema. Other
// keywords (enum, const, default, examples...) hold data, never schemas, and are not walked.
const ONE = new Set([
  "not",
  "if",
  "then",
  "else",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
  "additionalItems",
  "items",
]);
const LIST = new Set(["allOf", "anyOf", "oneOf", "prefixItems", "items"]);
const MAP = new Set(["properties", "$defs", "definitions", "dependentSchemas"]);

function registerPattern(pattern: string): string {
  const name = `${RE2_FORMAT_PREFIX}${pattern}`;
  const table = format as Record<string, (s: string) => boolean>;
  // Kept for the isolate's life: a compiled validator may refer to it at any time. Patterns come
  // from the operator's catalog only, so the table stays small.
  if (!table[name]) {
    table[name] = (s: string) => {
      const re = compileRegex(pattern);
      return typeof re !== "string" && s.length <= MAX_REGEX_INPUT && re.test(s);
    };
  }
  return name;
}

/** Refuses a schema whose cost cannot be bounded, or answers the copy to compile. */
export function prepareSchema(schema: unknown): { ok: true; schema: unknown } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) {
    return {
      ok: false,
      issues: [{ path: "schema", message: `a schema is at most ${MAX_SCHEMA_BYTES} bytes of JSON` }],
    };
  }
  let patterns = 0;

  const walk = (node: unknown, path: string, depth: number): unknown => {
    if (!isObject(node)) return node; // booleans (and junk the validator refuses itself)
    if (depth > MAX_SCHEMA_DEPTH) {
      issues.push({ path, message: `schemas nest at most ${MAX_SCHEMA_DEPTH} levels` });
      return node;
    }
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) {
      const here = `${path}.${key}`;
      if (ONE.has(key) && isObject(value)) out[key] = walk(value, here, depth + 1);
      else if (LIST.has(key) && Array.isArray(value))
        out[key] = value.map((v, i) => walk(v, `${here}.${i}`, depth + 1));
      else if (MAP.has(key) && isObject(value))
        out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${here}.${k}`, depth + 1)]));
      else out[key] = value;
    }
    if ("patternProperties" in node) {
      issues.push({
        path: `${path}.patternProperties`,
        message:
          "patternProperties is not supported (its patterns cannot run in linear time here); use properties or propertyNames",
      });
    }
    if (node.uniqueItems === true && !(typeof node.maxItems === "number" && node.maxItems <= MAX_UNIQUE_ITEMS)) {
      issues.push({
        path: `${path}.uniqueItems`,
        message: `uniqueItems needs a maxItems of at most ${MAX_UNIQUE_ITEMS} beside it (the check compares every pair of items)`,
      });
    }
    if (typeof node.pattern === "string") {
      patterns++;
      const re = compileRegex(node.pattern);
      if (typeof re === "string") issues.push({ path: `${path}.pattern`, message: re });
      else {
        delete out.pattern;
        const name = registerPattern(node.pattern);
        // One `format` per schema object: a pattern beside an existing format goes in an allOf.
        if (out.format === undefined) out.format = name;
        else out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []), { format: name }];
      }
    }
    return out;
  };

  const prepared = walk(schema, "schema", 0);
  if (patterns > MAX_PATTERNS)
    issues.push({ path: "schema", message: `a schema has at most ${MAX_PATTERNS} patterns` });
  return issues.length ? { ok: false, issues } : { ok: true, schema: prepared };
}

/** The validator's message for a rewritten pattern, in the words of the original keyword. */
export function patternMessage(message: string): string {
  const at = message.indexOf(`"${RE2_FORMAT_PREFIX}`);
  if (at < 0) return message;
  return `String does not match pattern "${message.slice(at + RE2_FORMAT_PREFIX.length + 1, -2)}".`;
}
