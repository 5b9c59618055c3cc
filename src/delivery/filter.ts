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
 * - $regex matches strings only, in RE2 syntax on a linear-time engine (re2js): no backreferences
 *   or lookaround, which is what lets it never backtrack. A string longer than MAX_REGEX_INPUT
 *   does not match; a pattern compiling to more than MAX_REGEX_PROGRAM instructions is refused.
 * - A missing field makes every operator false except $neq, $nin and $exists: false.
 * Cost: every evaluation draws on a FilterBudget (one per event, shared by all of its endpoints'
 * filters, with a cap per filter). A filter that runs out evaluates to false, so one tenant's
 * filters can cost a queue batch at most the budget, whatever they say.
 */
import { z } from "zod";
import { deeperThan, MAX_JSON_DEPTH } from "../lib/json-depth";
import { compileRegex, MAX_REGEX, MAX_REGEX_INPUT, regexUnits } from "./linear-regex";

export { MAX_REGEX_INPUT };

export type Filter = Record<string, unknown>;
interface FilterEvent {
  type: string;
  channels: string[];
  data: unknown;
}

const COMPARE = ["$eq", "$neq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex", "$options"] as const;
const LOGIC = ["$and", "$or", "$not"] as const;
const MAX_DEPTH = 10;
const MAX_CONDITIONS = 100;
const MAX_PATH = 200;
/**
 * JSON levels a filter may hold (operands included): the API refuses bodies deeper than
 * MAX_JSON_DEPTH and an endpoint's filter sits one level below the body's root. Checked here too,
 * so a filter that arrives another way (the portal's form posts it as text) meets the same bound.
 */
export const MAX_FILTER_JSON_DEPTH = MAX_JSON_DEPTH - 1;
/**
 * Work units (a compared JSON node; for a regex, program size × (input length + 1) plus its
 * compile, see regexUnits) one event's filters may spend in total, and one filter at most.
 * bench/tenant-work.mjs prints what the worst case costs in time.
 */
export const FILTER_BUDGET_PER_EVENT = 1_000_000;
export const FILTER_BUDGET_PER_FILTER = 256 * 1024;

type Issue = { path: string; message: string };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const MISSING = Symbol("missing");

function checkRegex(pattern: unknown, options: unknown, at: string, issues: Issue[]) {
  if (typeof pattern !== "string") return issues.push({ path: at, message: "$regex takes a string" });
  if (pattern.length > MAX_REGEX)
    return issues.push({ path: at, message: `$regex is at most ${MAX_REGEX} characters` });
  if (options !== undefined && (typeof options !== "string" || !/^[ims]*$/.test(options))) {
    return issues.push({
      path: at.replace(/\$regex$/, "$options"),
      message: "$options may only hold the flags i, m and s",
    });
  }
  const compiled = compileRegex(pattern, (options as string | undefined) ?? "");
  if (typeof compiled === "string") issues.push({ path: at, message: compiled });
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
        if (typeof operand !== "number" && typeof operand !== "string")
          issues.push({ path: here, message: `${op} takes a number or a string` });
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
        issues.push({
          path: here,
          message: `unknown operator '${op}' (use ${COMPARE.filter((o) => o !== "$options").join(" ")})`,
        });
    }
  }
}

function checkFilter(filter: unknown, at: string, depth: number, issues: Issue[], counter: { n: number }) {
  if (depth > MAX_DEPTH) return issues.push({ path: at, message: `filters nest at most ${MAX_DEPTH} levels` });
  if (!isObject(filter)) return issues.push({ path: at, message: "a filter is an object" });
  for (const [key, value] of Object.entries(filter)) {
    const here = at ? `${at}.${key}` : key;
    if (key === "$and" || key === "$or") {
      if (!Array.isArray(value) || value.length === 0)
        issues.push({ path: here, message: `${key} takes a non-empty array of filters` });
      else for (const [i, f] of value.entries()) checkFilter(f, `${here}.${i}`, depth + 1, issues, counter);
    } else if (key === "$not") {
      checkFilter(value, here, depth + 1, issues, counter);
    } else if (key.startsWith("$")) {
      issues.push({
        path: here,
        message: `unknown operator '${key}' at the top of a filter (use ${LOGIC.join(" ")} or a field path)`,
      });
    } else if (key.length > MAX_PATH || !/^[^.\s]+(\.[^.\s]+)*$/.test(key)) {
      issues.push({ path: here, message: "a field path is dot-separated names, at most 200 characters" });
    } else if (isObject(value) && Object.keys(value).some((k) => k.startsWith("$"))) {
      checkOperators(value, here, issues, counter);
    } else {
      counter.n++;
    }
    if (counter.n > MAX_CONDITIONS)
      return issues.push({ path: at || "filter", message: `a filter has at most ${MAX_CONDITIONS} conditions` });
  }
}

export function validateFilter(filter: unknown): { ok: true; filter: Filter } | { ok: false; issues: Issue[] } {
  // First and without recursion: every later step walks the filter recursively.
  if (deeperThan(filter, MAX_FILTER_JSON_DEPTH)) {
    return {
      ok: false,
      issues: [{ path: "", message: `filter JSON nested deeper than ${MAX_FILTER_JSON_DEPTH} levels is refused` }],
    };
  }
  const issues: Issue[] = [];
  checkFilter(filter, "", 0, issues, { n: 0 });
  return issues.length ? { ok: false, issues } : { ok: true, filter: filter as Filter };
}

// Its API description is added in src/routes/endpoints/schema.ts: the core knows no HTTP layer.
export const FilterSchema = z
  .custom<Filter>((v) => isObject(v))
  .superRefine((value, ctx) => {
    const result = validateFilter(value);
    if (!result.ok)
      for (const i of result.issues)
        ctx.addIssue({ code: "custom", message: i.message, path: i.path ? i.path.split(".") : [] });
  });

/**
 * A stored filter as fan-out may use it: one stored over-deep (before the depth check reached the
 * portal's form) matches nothing instead of overflowing the stack where it is copied or walked,
 * so it fails its own endpoint, never the tenant's whole fan-out.
 */
const NEVER_MATCHES: Filter = Object.freeze({ $or: [] });
export function routableFilter(stored: unknown): Filter | null {
  if (stored === null || stored === undefined) return null;
  if (!isObject(stored)) return NEVER_MATCHES;
  return deeperThan(stored, MAX_FILTER_JSON_DEPTH) ? NEVER_MATCHES : stored;
}

function resolve(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isObject(cur) && Object.hasOwn(cur, part)) cur = cur[part];
    else return MISSING;
    if (cur === undefined) return MISSING;
  }
  return cur;
}

function deepEqual(a: unknown, b: unknown, budget: FilterBudget): boolean {
  budget.spend(1);
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i], budget));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k], budget));
  }
  return false;
}

class BudgetExhausted extends Error {}

/** The work one event's filters may still do; `exhausted` tells the caller to log it. */
export class FilterBudget {
  exhausted = false;
  /** Units spent so far (what a test of the accounting reads). */
  spent = 0;
  private filterLeft = 0;
  constructor(private eventLeft = FILTER_BUDGET_PER_EVENT) {}
  /** Starts one filter: it may spend up to the per-filter cap of what the event has left. */
  startFilter() {
    this.filterLeft = Math.min(FILTER_BUDGET_PER_FILTER, this.eventLeft);
  }
  spend(units: number) {
    this.spent += units;
    this.filterLeft -= units;
    this.eventLeft -= units;
    if (this.filterLeft < 0) {
      this.exhausted = true;
      throw new BudgetExhausted();
    }
  }
}

/**
 * What the filters of one event share: its payload, parsed once (not once per endpoint), and
 * its budget.
 */
export function eventFilterScope(type: string, channels: string[], payload: string) {
  let parsed: FilterEvent | undefined;
  return {
    budget: new FilterBudget(),
    get event(): FilterEvent {
      parsed ??= { type, channels, data: JSON.parse(payload) };
      return parsed;
    },
  };
}
export type EventFilterScope = ReturnType<typeof eventFilterScope>;

function compare(value: unknown, op: string, operand: unknown): boolean {
  // Numbers with numbers, strings with strings; anything else never matches an order operator.
  const bothNumbers = typeof value === "number" && typeof operand === "number";
  const bothStrings = typeof value === "string" && typeof operand === "string";
  if (!bothNumbers && !bothStrings) return false;
  const [a, b] = [value as number | string, operand as number | string];
  if (op === "$gt") return a > b;
  if (op === "$gte") return a >= b;
  if (op === "$lt") return a < b;
  return a <= b;
}

function equalsOrContains(value: unknown, operand: unknown, budget: FilterBudget): boolean {
  if (deepEqual(value, operand, budget)) return true;
  return Array.isArray(value) && !Array.isArray(operand) && value.some((v) => deepEqual(v, operand, budget));
}

const isPrimitive = (v: unknown) => v === null || typeof v !== "object";
// A list of plain values is looked up in a Set: one unit per value tested, not one per pair.
const primitiveSets = new WeakMap<unknown[], Set<unknown> | null>();
function primitiveSet(list: unknown[]): Set<unknown> | null {
  let set = primitiveSets.get(list);
  if (set === undefined) {
    set = list.every(isPrimitive) ? new Set(list) : null;
    primitiveSets.set(list, set);
  }
  return set;
}

function inList(value: unknown, list: unknown[], budget: FilterBudget): boolean {
  const values = Array.isArray(value) ? value : [value];
  const set = primitiveSet(list);
  if (set) {
    budget.spend(list.length);
    return values.some((v) => {
      budget.spend(1);
      return isPrimitive(v) && set.has(v);
    });
  }
  return values.some((v) => list.some((x) => deepEqual(v, x, budget)));
}

function testRegex(value: string, pattern: string, flags: string, budget: FilterBudget): boolean {
  if (value.length > MAX_REGEX_INPUT) return false;
  const re = compileRegex(pattern, flags);
  if (typeof re === "string") return false;
  // Paid before it runs: a pattern the filter cannot afford on this string never starts.
  budget.spend(regexUnits(re, value.length));
  return re.test(value);
}

function applyOperator(
  value: unknown,
  op: string,
  operand: unknown,
  ops: Record<string, unknown>,
  budget: FilterBudget,
): boolean {
  const missing = value === MISSING;
  switch (op) {
    case "$exists":
      return operand === !missing;
    case "$eq":
      return !missing && equalsOrContains(value, operand, budget);
    case "$neq":
      return missing || !equalsOrContains(value, operand, budget);
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return !missing && compare(value, op, operand);
    case "$in":
      return !missing && Array.isArray(operand) && inList(value, operand, budget);
    case "$nin":
      return missing || (Array.isArray(operand) && !inList(value, operand, budget));
    case "$regex":
      if (typeof value !== "string" || typeof operand !== "string") return false;
      return testRegex(value, operand, typeof ops.$options === "string" ? ops.$options : "", budget);
    case "$options":
      return true;
    default:
      return false;
  }
}

function evaluate(filter: unknown, event: FilterEvent, budget: FilterBudget): boolean {
  if (!isObject(filter)) return false;
  for (const [key, cond] of Object.entries(filter)) {
    budget.spend(1);
    if (key === "$and") {
      if (!Array.isArray(cond) || !cond.every((f) => evaluate(f, event, budget))) return false;
    } else if (key === "$or") {
      if (!Array.isArray(cond) || !cond.some((f) => evaluate(f, event, budget))) return false;
    } else if (key === "$not") {
      if (evaluate(cond, event, budget)) return false;
    } else {
      const value = resolve(event, key);
      if (isObject(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
        for (const [op, operand] of Object.entries(cond))
          if (!applyOperator(value, op, operand, cond, budget)) return false;
      } else if (!applyOperator(value, "$eq", cond, {}, budget)) {
        return false;
      }
    }
  }
  return true;
}

/**
 * Whether the event passes the filter; no filter (or `{}`) passes everything. Never throws: a
 * payload that does not parse, or a filter that runs out of budget, does not match. `event` may
 * be a scope's lazy getter: it is read only when a filter needs it.
 */
export function matchesFilter(
  filter: Filter | null | undefined,
  event: FilterEvent | (() => FilterEvent),
  budget = new FilterBudget(),
): boolean {
  if (!filter || Object.keys(filter).length === 0) return true;
  try {
    budget.startFilter();
    return evaluate(filter, typeof event === "function" ? event() : event, budget);
  } catch {
    return false;
  }
}
