/**
 * Customer words for the API schema's generic failures ("Too small: expected string to have >=1
 * characters" becomes "required"). Used as a per-parse error map, so messages a schema sets
 * itself ("not a valid header name") still win, and the rules stay in the API's schemas.
 */
import type { z } from "@hono/zod-openapi";

type Issue = Parameters<z.core.$ZodErrorMap>[0];

const unit = (origin: unknown) =>
  origin === "string" ? " characters" : origin === "array" || origin === "set" ? " items" : "";

export function friendlyError(iss: Issue): string | undefined {
  const i = iss as Issue & {
    minimum?: number | bigint;
    maximum?: number | bigint;
    origin?: string;
    expected?: string;
    values?: unknown[];
    issues?: { message: string }[];
  };
  switch (i.code) {
    case "too_small":
      if (i.origin === "string" && Number(i.minimum) === 1) return "required";
      if (i.origin === "array" && Number(i.minimum) === 1) return "add at least one";
      return `at least ${i.minimum}${unit(i.origin)}`;
    case "too_big":
      return `at most ${i.maximum}${unit(i.origin)}`;
    case "invalid_type":
      if (i.expected === "int" || i.expected === "number") return "enter a whole number";
      if (i.input === undefined) return "required";
      return undefined;
    case "invalid_value":
      return "pick one of the options";
    case "invalid_key":
      return i.issues?.[0]?.message ?? "not a valid name";
    case "invalid_union": {
      // A value neither branch takes (a retry policy: preset or schedule). Say what the closest
      // branch, the one whose failure is deepest in the value, found wrong.
      const branches = ((i as { errors?: { path: PropertyKey[]; message: string }[][] }).errors ?? []).filter(
        (b) => b.length,
      );
      const deepest = branches.map((b) => b[0]!).sort((a, b) => b.path.length - a.path.length)[0];
      if (!deepest || deepest.path.length === 0) return undefined;
      const last = deepest.path[deepest.path.length - 1];
      const where =
        typeof last === "number" ? `${deepest.path.includes("schedule_s") ? "step" : "item"} ${last + 1}: ` : "";
      return `${where}${deepest.message}`;
    }
    case "invalid_format":
      return "not in the expected format";
    default:
      return undefined;
  }
}
