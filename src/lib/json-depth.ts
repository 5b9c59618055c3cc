/**
 * How deep JSON may nest, and the one (iterative) way to measure it. Everything downstream
 * (schemas, filters, envelopes, deep equality, the structured clone of an RPC argument) walks JSON
 * recursively, so depth is bounded where JSON enters: an API body (src/http/json-depth.ts), a
 * filter however it arrives (src/delivery/filter.ts, which the portal's form parses with too).
 */

/**
 * Request bodies nest at most this many levels (docs/contract.md "Security"). Far below the recursion V8
 * survives (a 3,000-deep filter overflowed the stack in an RPC argument's structured clone).
 */
export const MAX_JSON_DEPTH = 64;

/** Whether any object or array in `value` sits deeper than `max` levels (the root is level 1). */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
