/**
 * JSON nested deeper than MAX_JSON_DEPTH levels is refused with 400 (docs/contract.md "Security"), counted
 * from the request body: everything downstream walks JSON recursively, so the depth has to be
 * bounded where it enters (src/lib/json-depth.ts). The parsed body is Hono's cached one: the
 * route's validator reads it again without a second parse.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors";
import { deeperThan, MAX_JSON_DEPTH } from "../lib/json-depth";
import type { AppEnv } from "./context";

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
      throw new ApiError(
        "bad_request",
        `JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused (counted from the request body)`,
      );
    }
  }
  await next();
});
