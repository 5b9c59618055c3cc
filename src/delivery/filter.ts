/**
 * Payload filters: an endpoint's `filter` is matched against each event in the fan-out.
 *
 * Language (MongoDB-like). A filter is an object whose keys are dotted paths rooted at the event
 * (`data.total_amount`, `data.items.0.sku`, `type`, `channels`) or logical operators:
 *   { "data.total": { "$gte": 1000 } }   { "data.tier": "pro" } (literal = $eq)
 *   { "$and": [f, ...] }  { "$or": [f, ...] }  { "$not": f }
 * Operators on a path: $eq $neq $gt $gte $lt $lte $in $nin $exists $regex (+ $options i/m/s);
 * several in one object are ANDed.
 * Semantics:
 * - $eq/$neq compare JSON deeply. When the value at the path is an array and the operand is not,
 *   $eq matches if any element equals, $neq if none does (as MongoDB does).
 * - $gt/$gte/$lt/$lte compare numbers with numbers and strings with strings (RFC 3339 timestamps
 *   therefore compare in time order); any other pairing is false.
 * - $in/$nin take an array; with an array value, any element in / no element in.
 * - $regex matches strings only.
 * - A missing field makes every operator false except $neq, $nin and $exists: false.
 */
import { z } from "@hono/zod-openapi";

export type Filter = Record<string, unknown>;
export interface FilterEvent {
  type: string;
  channels: string[];
  data: unknown;
}

const COMPARE = ["$eq", "$neq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options"] as const;
const LOGIC = ["$and", "$or", "$not"] as const;
const MAX_DEPTH = 10;
const MAX_CONDITIONS = 100;
const MAX_REGEX = 500;
const MAX_PATH = 200;
// A cheap guard against catastrophic backtracking: a quantified group that itself ends in a
// quantifier, like (a+)+ or (.*)*. Not a proof of safety, but it refuses the classic shapes.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}]\)\s*[+*{]/;

type Issue = { path: string; message: string };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const MISSING = Symbol("missing");

function checkRegex(pattern: unknown, options: unknown, at: string, issues: Issue[]) {
  if (typeof pattern !== "string") return issues.push({ path: at, message: "$regex takes a string" });
  if (pattern.length > MAX_REGEX) return issues.push({ path: at, message: `$regex is at most ${MAX_REGEX} characters` });
  if (NESTED_QUANTIFIER.test(pattern)) return issues.push({ path: at, message: "$regex with nested quantifiers (like (a+)+) is refused: it can take exponential time" });
  if (options !== undefined && (typeof options !== "string" || !/^[ims]*$/.test(options))) {
    return issues.push({ path: at.replace(/\$regex$/, "$options"), message: "$options may only hold the flags i, m and s" });
  }
  try {
    new RegExp(pattern, (options as string | undefined) ?? "");
  } catch (err) {
    issues.push({ path: at, message: `invalid regular expression: ${(err as Error).message}` });
  }
}

function checkOperators(ops: Record<string, unknown>, at: string, issues: Issue[], counter: { n: number }) {
  for (const [op, operand] of Object.entries(ops)) {
    const here = `${at}.${op}`;
    counter.n++;
    switch (op) {
      case "$eq":
      case "$neq":
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        if (typeof operand !== "number" && typeof operand !== "string") issues.push({ path: here, message: `${op} takes a number or a string` });
        break;
      case "$in":
      case "$nin":
        if (!Array.isArray(operand)) issues.push({ path: here, message: `${op} takes an array` });
        else if (operand.length > 100) issues.push({ path: here, message: `${op} takes at most 100 values` });
        break;
      case "$exists":
        if (typeof operand !== "boolean") issues.push({ path: here, message: "$exists takes true or false" });
        break;
      case "$regex":
        checkRegex(operand, ops.$options, here, issues);
        break;
      case "$options":
        if (!("$regex" in ops)) issues.push({ path: here, message: "$options goes with $regex" });
        break;
      default:
        issues.push({ path: here, message: `unknown operator '${op}' (use ${COMPARE.filter((o) => o !== "$options").join(" ")})` });
    }
  }
}

function checkFilter(filter: unknown, at: string, depth: number, issues: Issue[], counter: { n: number }) {
  if (depth > MAX_DEPTH) return issues.push({ path: at, message: `filters nest at most ${MAX_DEPTH} levels` });
  if (!isObject(filter)) return issues.push({ path: at, message: "a filter is an object" });
  for (const [key, value] of Object.entries(filter)) {
    const here = at ? `${at}.${key}` : key;
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0) issues.push({ path: here, message: `${key} takes a non-empty array of filters` });
      else value.forEach((f, i) => checkFilter(f, `${here}.${i}`, depth + 1, issues, counter));
    } else if (key === "$not") {
      checkFilter(value, here, depth + 1, issues, counter);
    } else if (key.startsWith("$")) {
      issues.push({ path: here, message: `unknown operator '${key}' at the top of a filter (use ${LOGIC.join(" ")} or a field path)` });
    } else if (key.length > MAX_PATH || !/^[^.\s]+(\.[^.\s]+)*$/.test(key)) {
      issues.push({ path: here, message: "a field path is dot-separated names, at most 200 characters" });
    } else if (isObject(value) && Object.keys(value).some((k) => k.startsWith("$"))) {
      checkOperators(value, here, issues, counter);
    } else {
      counter.n++;
    }
    if (counter.n > MAX_CONDITIONS) return issues.push({ path: at || "filter", message: `a filter has at most ${MAX_CONDITIONS} conditions` });
  }
}

export function validateFilter(filter: unknown): { ok: true; filter: Filter } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  checkFilter(filter, "", 0, issues, { n: 0 });
  return issues.length ? { ok: false, issues } : { ok: true, filter: filter as Filter };
}

export const FilterSchema = z
  .custom<Filter>((v) => isObject(v))
  .superRefine((value, ctx) => {
    const result = validateFilter(value);
    if (!result.ok) for (const i of result.issues) ctx.addIssue({ code: "custom", message: i.message, path: i.path ? i.path.split(".") : [] });
  })
  .openapi({
    type: "object",
    description: "Match on the event (`data.*`, `type`, `channels`) with $eq $neq $gt $gte $lt $lte $in $nin $exists $regex $and $or $not.",
    example: { "data.total_amount": { $gte: 1000 } },
  });

function resolve(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, part)) cur = cur[part];
    else return MISSING;
    if (cur === undefined) return MISSING;
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

const regexCache = new Map<string, RegExp | null>();
function regex(pattern: string, flags: string): RegExp | null {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, flags);
    } catch {
      re = null;
    }
    if (regexCache.size > 500) regexCache.delete(regexCache.keys().next().value!);
    regexCache.set(key, re);
  }
  return re;
}

function compare(value: unknown, op: string, operand: unknown): boolean {
  if (typeof value === "number" && typeof operand === "number") {
    return op === "$gt" ? value > operand : op === "$gte" ? value >= operand : op === "$lt" ? value < operand : value <= operand;
  }
  if (typeof value === "string" && typeof operand === "string") {
    return op === "$gt" ? value > operand : op === "$gte" ? value >= operand : op === "$lt" ? value < operand : value <= operand;
  }
  return false;
}

function equalsOrContains(value: unknown, operand: unknown): boolean {
  if (deepEqual(value, operand)) return true;
  return Array.isArray(value) && !Array.isArray(operand) && value.some((v) => deepEqual(v, operand));
}

function inList(value: unknown, list: unknown[]): boolean {
  if (Array.isArray(value)) return value.some((v) => list.some((x) => deepEqual(v, x)));
  return list.some((x) => deepEqual(value, x));
}

function applyOperator(value: unknown, op: string, operand: unknown, ops: Record<string, unknown>): boolean {
  const missing = value === MISSING;
  switch (op) {
    case "$exists":
      return operand === !missing;
    case "$eq":
      return !missing && equalsOrContains(value, operand);
    case "$neq":
      return missing || !equalsOrContains(value, operand);
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return !missing && compare(value, op, operand);
    case "$in":
      return !missing && Array.isArray(operand) && inList(value, operand);
    case "$nin":
      return missing || (Array.isArray(operand) && !inList(value, operand));
    case "$regex": {
      if (typeof value !== "string" || typeof operand !== "string") return false;
      const re = regex(operand, typeof ops.$options === "string" ? ops.$options : "");
      return re !== null && re.test(value);
    }
    case "$options":
      return true;
    default:
      return false;
  }
}

function evaluate(filter: unknown, event: FilterEvent): boolean {
  if (!isObject(filter)) return false;
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and") {
      if (!Array.isArray(cond) || !cond.every((f) => evaluate(f, event))) return false;
    } else if (key === "$or") {
      if (!Array.isArray(cond) || !cond.some((f) => evaluate(f, event))) return false;
    } else if (key === "$not") {
      if (evaluate(cond, event)) return false;
    } else {
      const value = resolve(event, key);
      if (isObject(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
        for (const [op, operand] of Object.entries(cond)) if (!applyOperator(value, op, operand, cond)) return false;
      } else if (!applyOperator(value, "$eq", cond, {})) {
        return false;
      }
    }
  }
  return true;
}

/** Whether the event passes the filter; no filter (or `{}`) passes everything. Never throws. */
export function matchesFilter(filter: Filter | null | undefined, event: FilterEvent): boolean {
  if (!filter || Object.keys(filter).length === 0) return true;
  try {
    return evaluate(filter, event);
  } catch {
    return false;
  }
}
