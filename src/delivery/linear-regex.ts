/**
 * The one regex engine for patterns a tenant or operator writes (filter `$regex`, JSON Schema
 * `pattern`): RE2 semantics through re2js, which matches in time linear in the input and never
 * backtracks. V8's RegExp would run `^(a|a)*$` on "a"×40+"!" for hours inside the shared consumer.
 * RE2 has no backreferences or lookaround; such patterns are refused when they are written.
 *
 * Linear is not cheap: the engine steps every live instruction of the compiled program for each
 * input character, so a match costs up to program size × input length, and counted repeats
 * multiply the program (`[a-c]{1000}` is 1,000 instructions; 27 such alternatives in 458
 * characters compiled to 27,055 and took 8.8 s on one 16 KiB string). Hence a ceiling on the
 * program, and `regexUnits`, what the filter budget charges for one evaluation.
 */
import { RE2JS } from "re2js";

export const MAX_REGEX = 500;
/** Longer strings never match: the engine is linear, this bounds the constant. */
export const MAX_REGEX_INPUT = 64 * 1024;
/**
 * Instructions a compiled pattern may hold. Everyday patterns are far below it (an email shape
 * 13, a UUID 40, `[a-z]{1,100}` 201); at the ceiling one input character costs 1,000 steps, so a
 * filter's budget (FILTER_BUDGET_PER_FILTER) still reaches ~250 characters, and a compile stays
 * in milliseconds (~8 ms measured for 1,000 instructions on re2js 2.10), far inside the CPU time
 * Cloudflare allows one invocation (30 s by default for a request or a queue batch).
 */
export const MAX_REGEX_PROGRAM = 1_000;
/**
 * Budget units one compiled instruction costs per evaluation, for the compile. Charged on every
 * evaluation, cached or not, so whether a filter matches never depends on an isolate's cache; a
 * cold isolate compiling for one event stays bounded by that event's budget.
 */
const REGEX_COMPILE_UNITS_PER_INSTRUCTION = 20;
/**
 * A pattern whose counted repeats add up past this many is refused before it is compiled: each
 * count adds at least that many instructions, and compiling 27,000 of them takes ~300 ms, work
 * that saving a pattern would otherwise pay before the ceiling could refuse it.
 */
const MAX_REPEAT_TOTAL = MAX_REGEX_PROGRAM;

const RE2_FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

const tooLarge = (what: string) =>
  `this pattern ${what}; a pattern compiles to at most ${MAX_REGEX_PROGRAM} instructions (counted repeats like {1000} multiply its size: shorten them or split the condition)`;

/** The sum of the counts of `{n}`, `{n,}` and `{n,m}` (their largest) in a pattern. */
function repeatTotal(pattern: string): number {
  let total = 0;
  for (const m of pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)) total += Math.max(Number(m[1]), Number(m[2] || 0));
  return total;
}

/** A compiled pattern, or the reason it is refused. Compiled once per isolate. */
const cache = new Map<string, RE2JS | string>();
export function compileRegex(pattern: string, flags = ""): RE2JS | string {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    if (pattern.length > MAX_REGEX) re = `a pattern is at most ${MAX_REGEX} characters`;
    else if (repeatTotal(pattern) > MAX_REPEAT_TOTAL) re = tooLarge(`repeats ${repeatTotal(pattern)} times in all`);
    else {
      try {
        const compiled = RE2JS.compile(
          pattern,
          [...flags].reduce((f, c) => f | (RE2_FLAGS[c] ?? 0), 0),
        );
        re =
          compiled.programSize() > MAX_REGEX_PROGRAM
            ? tooLarge(`compiles to ${compiled.programSize()} instructions`)
            : compiled;
      } catch (err) {
        re = `invalid or unsupported regular expression (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`;
      }
    }
    if (cache.size > 1000) cache.delete(cache.keys().next().value!);
    cache.set(key, re);
  }
  return re;
}

/** What one evaluation of `re` on `inputLength` characters costs: its compile, then every step. */
export function regexUnits(re: RE2JS, inputLength: number): number {
  const size = re.programSize();
  return size * REGEX_COMPILE_UNITS_PER_INSTRUCTION + size * (inputLength + 1);
}
