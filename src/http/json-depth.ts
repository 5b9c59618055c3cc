/**
 * JSON nested deeper than MAX_JSON_DEPTH levels is refused with 400 (SPEC "Security"), counted
 * from the request body: everything downstream (schemas, filters, envelopes, deep equality) walks
 * JSON recursively, so the depth has to be bounded where it enters. The check itself is an
 * explicit stack, never recursion. The parsed body is Hono's cached one: the route's validator
 * reads it again without a second parse.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors";
import type { AppEnv } from "./context";

export const MAX_JSON_DEPTH = 64;

/** Whether any object or array in `value` sits deeper than `max` levels (the root is level 1). */
export function deeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

export const jsonDepthLimit = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body && /^application\/(.+\+)?json/i.test(c.req.header("content-type") ?? "")) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      // Malformed JSON: the route's validator answers it (400) in its own words.
      return next();
    }
    if (deeperThan(body, MAX_JSON_DEPTH)) {
      throw new ApiError("bad_request", `JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused (counted from the request body)`);
    }
  }
  await next();
});
