/**
 * Turns zod failures into the error envelope's `issues`, naming unknown fields one by one so a
 * typo (`event_type` for `event_types`) is pointed at, not silently dropped.
 */
import type { ZodError } from "zod";
import type { ErrorIssue } from "../errors";

const joinPath = (path: PropertyKey[]) => path.map(String).join(".");

export function zodIssues(error: ZodError): ErrorIssue[] {
  const out: ErrorIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: joinPath([...issue.path, key]), message: `unknown field '${key}'` });
      }
    } else {
      out.push({ path: joinPath(issue.path), message: issue.message });
    }
  }
  return out;
}
