/**
 * The code cites only documents in the repository (docs/architecture.md "Naming and style"): every
 * `docs/<name>.md` a file of src/ names exists, with the section it names, and nothing cites the
 * product contract or the design guide by the names they had outside the repository.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./service";
import { SRC, sourceFiles } from "./source-files";

const OUTSIDE = /\bSPEC\b|DESIGN\.md|\/work\/shared/;
const CITED = /docs\/([\w-]+\.md)(?: "([^"]+)")?/g;

describe("citations", () => {
  it("no file of src/ cites a document outside the repository", () => {
    const found = sourceFiles()
      .filter((abs) => OUTSIDE.test(readFileSync(abs, "utf8")))
      .map((abs) => relative(SRC, abs));
    expect(found).toEqual([]);
  });

  it("every docs/ file and section src/ cites exists", () => {
    const missing: string[] = [];
    for (const abs of sourceFiles()) {
      for (const m of readFileSync(abs, "utf8").matchAll(CITED)) {
        const doc = join(ROOT, "docs", m[1]!);
        if (!existsSync(doc)) missing.push(`${relative(SRC, abs)}: docs/${m[1]}`);
        else if (
          m[2] &&
          !new RegExp(`^#+ ${m[2].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m").test(readFileSync(doc, "utf8"))
        )
          missing.push(`${relative(SRC, abs)}: docs/${m[1]} "${m[2]}"`);
      }
    }
    expect(missing).toEqual([]);
  });
});
