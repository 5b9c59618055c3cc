/**
 * Every request body is bounded before anything reads it (docs/contract.md "Security"): 1 MiB for ingest and
 * the test routes (they carry an event's data), 256 KiB for everything else. Hono's bodyLimit
 * checks Content-Length first and counts a streamed body as it arrives, so an 80 MB upload is cut
 * off after its first megabyte instead of being buffered by the isolate.
 */
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors";
import type { AppEnv } from "./context";

export const LARGE_BODY_BYTES = 1024 * 1024;
export const SMALL_BODY_BYTES = 256 * 1024;

// Ingest (single and batch) and the routes that send or evaluate a test event.
const LARGE_BODY_PATH = /\/(events|events\/batch|test|test-filter|test-url)\/?$/;

const limit = (maxSize: number, label: string) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `request body is larger than ${label}`);
    },
  });
const large = limit(LARGE_BODY_BYTES, "1 MiB");
const small = limit(SMALL_BODY_BYTES, "256 KiB");

export const requestBodyLimit = createMiddleware<AppEnv>((c, next) =>
  (LARGE_BODY_PATH.test(c.req.path) ? large : small)(c, next),
);
