/** The files of src/ and their text without comments, for the checks that read the source. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./service";

export const SRC = join(ROOT, "src");

export function sourceFiles(dir: string = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The text without block and line comments (a `//` inside a string such as a URL is kept). */
export function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}
