/**
 * The code cites only documents in the repository (docs/architecture.md "Naming and style"): every
 * `docs/<name>.md` a file of src/ names exists, with the section it names, and nothing cites the
 * product contract or the design guide by the names they had outside the repository. Tests say
 * what they guarantee, so none cites those names, an issue or a review finding either.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./service";
import { SRC, sourceFiles } from "./source-files";

const OUTSIDE = /\bSPEC\b|DESIGN\.md|\/work\/shared/;
const CITED = /docs\/([\w-]+\.md)(?: "([^"]+)")?/g;
const HISTORY = /\b[Ii]ssue #?\d+|\b[Ff]inding #?\d+/;
const TEST = join(ROOT, "test");
const SCRIPT = /\.(tsx?|mjs)$/;

/**
 * Test files allowed to cite an outside name (none now). The test fails on any file not listed
 * here, and on an entry here that no longer cites one, so the list can only shrink.
 */
const KNOWN = new Set<string>([]);

function scriptsUnder(dir: string = TEST): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return scriptsUnder(p);
    return SCRIPT.test(e.name) ? [p] : [];
  });
}

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

  it("no test file cites a document outside the repository, an issue or a finding", () => {
    const self = join(TEST, "node", "citations.test.ts");
    const found = scriptsUnder()
      .filter((abs) => abs !== self)
      .filter((abs) => {
        const text = readFileSync(abs, "utf8");
        return OUTSIDE.test(text) || HISTORY.test(text);
      })
      .map((abs) => relative(TEST, abs))
      .sort();
    expect(found.filter((f) => !KNOWN.has(f))).toEqual([]);
    expect([...KNOWN].filter((f) => !found.includes(f))).toEqual([]);
  });
});
