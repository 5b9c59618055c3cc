/**
 * Import order cannot break the OpenAPI schemas: `.openapi()` exists on zod's schemas only once
 * `@hono/zod-openapi` has run (it extends zod's prototype when it loads). A module that calls
 * `.openapi(` and imports a value from `@hono/zod-openapi` itself is evaluated after it, whatever
 * order its importers list their imports in, so biome may sort imports freely. This fails on a
 * file of src/ that calls `.openapi(` without such an import (a type-only import is erased and
 * does not count).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { SRC, sourceFiles, withoutComments } from "./source-files";

/** True when the code imports a value (not only types) from @hono/zod-openapi, or imports it bare. */
function importsValue(code: string): boolean {
  for (const m of code.matchAll(/^import\s+([^;]*?)\s*from\s*["']@hono\/zod-openapi["']/gm)) {
    const clause = m[1]!.trim();
    if (clause.startsWith("type ")) continue;
    const named = /\{([^}]*)\}/.exec(clause)?.[1] ?? "";
    const valueNames = named
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith("type "));
    if (
      valueNames.length ||
      clause
        .replace(/\{[^}]*\}/, "")
        .replace(/,/g, "")
        .trim()
    )
      return true;
  }
  return /^import\s+["']@hono\/zod-openapi["']/m.test(code);
}

function unguarded(): string[] {
  return sourceFiles()
    .filter((abs) => {
      const code = withoutComments(readFileSync(abs, "utf8"));
      return /\.openapi\(/.test(code) && !importsValue(code);
    })
    .map((abs) => relative(SRC, abs))
    .sort();
}

describe("OpenAPI import order", () => {
  it("every file of src/ that calls .openapi( imports a value from @hono/zod-openapi", () => {
    expect(unguarded()).toEqual([]);
  });

  it("tells a value import from a type-only one", () => {
    expect(importsValue('import { z } from "@hono/zod-openapi";')).toBe(true);
    expect(importsValue('import { createRoute, type RouteConfig } from "@hono/zod-openapi";')).toBe(true);
    expect(importsValue('import "@hono/zod-openapi";')).toBe(true);
    expect(importsValue('import type { z } from "@hono/zod-openapi";')).toBe(false);
    expect(importsValue('import { type z } from "@hono/zod-openapi";')).toBe(false);
    expect(importsValue('import { z } from "zod";')).toBe(false);
  });
});
