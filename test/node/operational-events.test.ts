/**
 * Operational events are raised by the verbs only (docs/architecture.md "Verbs"): a route, a portal
 * handler, a consumer or a job calls a verb of src/services, which emits what its action means. A
 * second emitter is how the API and the portal came to say different things about the same action.
 * The dispatchers, below the services, queue theirs (src/attempts/queue-operational.ts), and the
 * consumer stores them through a verb.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { SRC, sourceFiles, withoutComments } from "./source-files";

/** Where emitOperational may be named: the verbs. */
const ALLOWED = "services/";

const NAMED = /\bemitOperational\b/;

function emitters(): string[] {
  return sourceFiles()
    .map((abs) => relative(SRC, abs))
    .filter((file) => !file.startsWith(ALLOWED))
    .filter((file) => NAMED.test(withoutComments(readFileSync(`${SRC}/${file}`, "utf8"))))
    .sort();
}

describe("operational events", () => {
  it("only src/services names emitOperational", () => {
    expect(emitters()).toEqual([]);
  });

  it("the checker sees an import and a call, and not a comment", () => {
    const seen = (text: string) => NAMED.test(withoutComments(text));
    expect(seen('import { emitOperational } from "../services/operational";')).toBe(true);
    expect(seen("await ops.emitOperational(ctx, []);")).toBe(true);
    expect(seen("// the verb calls emitOperational itself")).toBe(false);
    expect(seen("/** emitOperational is the verbs' */ const x = 1;")).toBe(false);
    expect(seen("await emitOperationalLater();")).toBe(false);
  });

  it("the verbs themselves emit (the check is not vacuous)", () => {
    const verbs = readFileSync(`${SRC}/services/endpoints.ts`, "utf8");
    expect(NAMED.test(withoutComments(verbs))).toBe(true);
  });
});
