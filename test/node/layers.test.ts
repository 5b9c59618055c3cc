/**
 * Imports point down only (docs/architecture.md "Layers"): reads every import of src/**\/*.ts(x) and fails on
 * one that reaches a higher layer. Type-only imports count too: they couple the code the same way.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./service";

const SRC = join(ROOT, "src");

/**
 * Highest first. docs/architecture.md's order, plus where the folders it does not name sit: http/ and auth/
 * (middleware) with the adapters; jobs/ (cron) and queue/ (consumers) with them too, because a
 * consumer is an inbound adapter like a route: it calls a verb of src/services.
 */
const LAYERS: { name: string; members: string[] }[] = [
  { name: "entry", members: ["index.ts", "app.ts"] },
  { name: "adapters", members: ["routes", "portal", "http", "auth", "jobs", "queue"] },
  { name: "services", members: ["services"] },
  { name: "durable objects", members: ["tenant-log", "dispatcher"] },
  { name: "attempts", members: ["attempts"] },
  { name: "pure core", members: ["delivery"] },
  // D1's schema types its columns with the vocabulary's lists (text({ enum })), so it sits above them.
  { name: "config schema", members: ["db"] },
  { name: "domain", members: ["domain"] },
  { name: "foundation", members: ["lib", "config.ts", "errors.ts", "schema.gen.ts"] },
];

/** Wiring, not code: the global Env names the Durable Object classes and the queue contract. */
const EXEMPT = new Set(["bindings.ts"]);

/**
 * Known imports that still point up, each with where it should go. The test fails on any import
 * not listed here, and on an entry here that no longer exists (so the list only shrinks).
 */
const KNOWN: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

function importsOf(text: string): string[] {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...noComments.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

function resolveFile(from: string, spec: string): string {
  const base = normalize(join(dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts"), join(base, "index.tsx")]) {
    try {
      readFileSync(candidate);
      return relative(SRC, candidate);
    } catch {}
  }
  return relative(SRC, base);
}

function layerOf(file: string): number {
  const top = file.split("/")[0]!;
  const i = LAYERS.findIndex((l) => l.members.includes(top));
  return i === -1 ? -1 : LAYERS.length - i;
}

function violations() {
  const found: string[] = [];
  const unplaced: string[] = [];
  for (const abs of sourceFiles(SRC)) {
    const file = relative(SRC, abs);
    if (EXEMPT.has(file)) continue;
    const mine = layerOf(file);
    if (mine === -1) unplaced.push(file);
    for (const spec of importsOf(readFileSync(abs, "utf8"))) {
      if (!spec.startsWith(".")) continue;
      const target = resolveFile(abs, spec);
      if (target.startsWith("..")) continue;
      const theirs = layerOf(target);
      if (theirs === -1) unplaced.push(target);
      else if (theirs > mine) found.push(`${file} -> ${target}`);
    }
  }
  return { found: [...new Set(found)].sort(), unplaced: [...new Set(unplaced)].sort() };
}

describe("layers", () => {
  it("every file of src/ has a layer", () => {
    expect(violations().unplaced).toEqual([]);
  });

  it("no import points up a layer (but the known ones, listed with where they go)", () => {
    const { found } = violations();
    expect(found.filter((v) => !(v in KNOWN))).toEqual([]);
    // A fixed one must leave the list, so it cannot come back unnoticed.
    expect(Object.keys(KNOWN).filter((k) => !found.includes(k))).toEqual([]);
  });

  it("the checker sees imports of every form, and ranks layers in docs/architecture.md's order", () => {
    const text = [
      'import { a } from "../services/x";',
      'import type { B } from "../routes/y";',
      'export { c } from "./z";',
      'const d = await import("../queue/w");',
      'import "../side-effect";',
      '// import { ignored } from "../portal/commented";',
      "/* import { alsoIgnored } from '../portal/block'; */",
    ].join("\n");
    expect(importsOf(text)).toEqual(["../services/x", "../routes/y", "./z", "../queue/w", "../side-effect"]);
    const order = [
      "app.ts",
      "routes/a.ts",
      "services/b.ts",
      "dispatcher/c.ts",
      "attempts/d.ts",
      "delivery/e.ts",
      "db/h.ts",
      "domain/f.ts",
      "lib/g.ts",
    ].map(layerOf);
    expect(order).toEqual([...order].sort((x, y) => y - x));
    expect(new Set(order).size).toBe(order.length);
    expect(layerOf("tenant-log/x.ts")).toBe(layerOf("dispatcher/x.ts"));
  });
});
