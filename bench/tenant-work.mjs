// How long the worst filter and the worst event-type schema take on a 1 MiB event, before
// (V8's backtracking RegExp, no budget: the filter code of commit 7b43f51, raw @cfworker/json-schema)
// and after (RE2 through re2js, the per-event budget, schema-cost.ts). Timing figures live here,
// never in `npm test`. Run: `node bench/tenant-work.mjs` (about half a minute).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT } from "./lib.mjs";

const BEFORE_COMMIT = "7b43f51";
const dir = mkdtempSync(join(tmpdir(), "edgehooks-tenant-work-"));
writeFileSync(
  join(dir, "filter-before.ts"),
  execFileSync("git", ["show", `${BEFORE_COMMIT}:src/delivery/filter.ts`], { cwd: ROOT }),
);
writeFileSync(
  join(dir, "entry.ts"),
  `export * as before from "./filter-before.ts";
   export * as after from ${JSON.stringify(join(ROOT, "src/delivery/filter.ts"))};
   export { prepareSchema } from ${JSON.stringify(join(ROOT, "src/delivery/schema-cost.ts"))};
   export { Validator } from "@cfworker/json-schema";`,
);
await build({
  entryPoints: [join(dir, "entry.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: join(dir, "bundle.mjs"),
  nodePaths: [join(ROOT, "node_modules")],
  mainFields: ["module", "main"],
  logLevel: "error",
});
const { before, after, prepareSchema, Validator } = await import(join(dir, "bundle.mjs"));

const ms = (f) => {
  const t = performance.now();
  const r = f();
  return { ms: performance.now() - t, r };
};
const fmt = (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(1)} ms`);
const rows = [];
const row = (what, beforeText, afterText) => rows.push({ what, before: beforeText, after: afterText });

// 1. Catastrophic $regex. Before: time doubles per character, so measure small n and extrapolate
// to the issue's "a"×40+"!". After: the 1 MiB event itself.
for (const pattern of ["^(a|a)*$", "^((a+))+$", "^(a+?)+$", "^(a+b?)+$"]) {
  const filter = { "data.s": { $regex: pattern } };
  let n = 16;
  let t = 0;
  while (n < 40) {
    t = ms(() => before.matchesFilter(filter, { type: "a.b", channels: [], data: { s: `${"a".repeat(n)}!` } })).ms;
    if (t > 400) break;
    n += 2;
  }
  const t2 = ms(() =>
    before.matchesFilter(filter, { type: "a.b", channels: [], data: { s: `${"a".repeat(n - 2)}!` } }),
  ).ms;
  const growth = Math.max(1.1, t / Math.max(t2, 0.01)) ** 0.5; // per character
  const at40 = t * growth ** (40 - n);
  const big = { type: "a.b", channels: [], data: { s: `${"a".repeat(after.MAX_REGEX_INPUT - 1)}!` } };
  const a = ms(() => after.matchesFilter(filter, big));
  row(
    `$regex ${pattern}`,
    `n=${n}: ${fmt(t)}; "a"x40+"!" ≈ ${at40 > 3.6e6 ? `${(at40 / 3.6e6).toFixed(1)} h` : fmt(at40)}`,
    `64 KiB string (the cap): ${fmt(a.ms)}`,
  );
}

// 2. The worst filter the validator accepts, on a 1 MiB event: 100 $regex conditions over 16
// strings of 64 KiB, for 1,000 endpoints of one tenant (one event's fan-out).
{
  const data = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`s${i}`, "x".repeat(64 * 1024 - 1)]));
  const filter = { $or: Array.from({ length: 100 }, (_, i) => ({ [`data.s${i % 16}`]: { $regex: "y$" } })) };
  const payload = JSON.stringify(data);
  const b = ms(() => {
    for (let e = 0; e < 10; e++) before.matchesFilter(filter, { type: "a.b", channels: [], data: JSON.parse(payload) });
  });
  const a = ms(() => {
    const scope = after.eventFilterScope("a.b", [], payload);
    for (let e = 0; e < 1000; e++) after.matchesFilter(filter, () => scope.event, scope.budget);
    return scope.budget.exhausted;
  });
  row(
    "100 $regex x 16 strings of 64 KiB, 1,000 endpoints",
    `10 endpoints: ${fmt(b.ms)} (x100 for 1,000: ${fmt(b.ms * 100)})`,
    `1,000 endpoints: ${fmt(a.ms)} (budget exhausted: ${a.r})`,
  );
}

// 3. Large $in lists: 100 values against an array of ~100,000 elements (a 1 MiB event), objects
// (pairwise deep equality) and numbers (a Set lookup after).
for (const kind of ["objects", "numbers"]) {
  const arr = Array.from({ length: kind === "objects" ? 60_000 : 150_000 }, (_, i) =>
    kind === "objects" ? { n: i } : i,
  );
  const list = Array.from({ length: 100 }, (_, i) => (kind === "objects" ? { n: -1 - i } : -1 - i));
  const filter = { "data.arr": { $in: list } };
  const ev = { type: "a.b", channels: [], data: { arr } };
  const b = ms(() => before.matchesFilter(filter, ev));
  const a = ms(() => {
    const budget = new after.FilterBudget();
    after.matchesFilter(filter, ev, budget);
    return budget.exhausted;
  });
  row(
    `$in 100 ${kind} vs ${arr.length.toLocaleString()} elements, per endpoint`,
    fmt(b.ms),
    `${fmt(a.ms)} (budget exhausted: ${a.r})`,
  );
}

// 4. Schemas. uniqueItems over a 1 MiB array; a catastrophic pattern; a pattern on a 1 MiB string.
{
  const arr = Array.from({ length: 150_000 }, (_, i) => i);
  const raw = new Validator({ type: "array", uniqueItems: true }, "2020-12", false);
  const b = ms(() => raw.validate(arr.slice(0, 20_000)));
  const refused = prepareSchema({ type: "array", uniqueItems: true });
  const bounded = new Validator(
    prepareSchema({ type: "array", uniqueItems: true, maxItems: 100 }).schema,
    "2020-12",
    false,
  );
  const a = ms(() => bounded.validate(Array.from({ length: 100 }, (_, i) => ({ k: "v".repeat(10_000), i }))));
  row(
    "schema uniqueItems, 1 MiB array (150,000 numbers)",
    `20,000 items: ${fmt(b.ms)} (quadratic: 150,000 ≈ ${fmt(b.ms * (150_000 / 20_000) ** 2)})`,
    `refused at create (${refused.ok ? "accepted?!" : "400"}); allowed worst, 100 items of 10 KB: ${fmt(a.ms)}`,
  );
}
{
  const pattern = "^(a|a)*$";
  const raw = new Validator({ type: "string", pattern }, "2020-12", false);
  const b = ms(() => raw.validate(`${"a".repeat(22)}!`));
  const safe = new Validator(prepareSchema({ type: "string", pattern }).schema, "2020-12", false);
  const a = ms(() => safe.validate(`${"a".repeat(64 * 1024 - 1)}!`));
  row(`schema pattern ${pattern}`, `"a"x22+"!": ${fmt(b.ms)} (doubles per character)`, `64 KiB string: ${fmt(a.ms)}`);
  const linear = new Validator(
    prepareSchema({ type: "array", items: { type: "string", pattern: "^[a-z]+$" } }).schema,
    "2020-12",
    false,
  );
  const strings = Array.from({ length: 16 }, () => "a".repeat(64 * 1024 - 8));
  const rawLinear = new Validator({ type: "array", items: { type: "string", pattern: "^[a-z]+$" } }, "2020-12", false);
  const bl = ms(() => rawLinear.validate(strings));
  const al = ms(() => linear.validate(strings));
  row("schema pattern ^[a-z]+$ on 16 x 64 KiB (1 MiB)", fmt(bl.ms), fmt(al.ms));
}

console.log(`tenant work on a 1 MiB event (before = ${BEFORE_COMMIT}, V8 RegExp; after = RE2 + budgets)`);
console.table(rows);
