/**
 * The zod rules of an endpoint's own headers and its signature profile, shared by the API schemas
 * and the engine (src/attempts/deployment-defaults.ts parses DEFAULT_SIGNATURE with them, so it
 * needs no HTTP layer). Plain zod: the OpenAPI descriptions are added by src/routes.
 */
import { z } from "zod";

/** Headers Edgehooks sets itself; an endpoint's custom headers may not override them. */
const RESERVED_HEADER = /^(host|content-type|content-length|user-agent|connection|transfer-encoding|webhook-.*)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4096}$/;

export const headerName = z
  .string()
  .regex(HEADER_NAME, "not a valid header name")
  .refine((n) => !RESERVED_HEADER.test(n), "this header is set by Edgehooks and cannot be overridden");

export const SignatureProfileSchema = z.discriminatedUnion("scheme", [
  z.strictObject({ scheme: z.literal("standard") }),
  z.strictObject({
    scheme: z.literal("hmac-sha256-hex"),
    header: headerName,
    // Sent inside a header value: CR/LF or other control characters would split or corrupt it.
    prefix: z
      .string()
      .max(50)
      .regex(/^[\x20-\x7e]*$/, "printable ASCII only (no CR, LF or other control characters)")
      .default(""),
  }),
]);
