/**
 * The one regex engine for patterns a tenant or operator writes (filter `$regex`, JSON Schema
 * `pattern`): RE2 semantics through re2js, which matches in time linear in the input and never
 * backtracks. V8's RegExp would run `^(a|a)*$` on "a"×40+"!" for hours inside the shared consumer.
 * RE2 has no backreferences or lookaround; such patterns are refused when they are written.
 */
import { RE2JS } from "re2js";

export const MAX_REGEX = 500;
/** Longer strings never match: the engine is linear, this bounds the constant. */
export const MAX_REGEX_INPUT = 64 * 1024;

const RE2_FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

/** A compiled pattern, or the reason it is refused. Compiled once per isolate. */
const cache = new Map<string, RE2JS | string>();
export function compileRegex(pattern: string, flags = ""): RE2JS | string {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    if (pattern.length > MAX_REGEX) re = `a pattern is at most ${MAX_REGEX} characters`;
    else {
      try {
        re = RE2JS.compile(
          pattern,
          [...flags].reduce((f, c) => f | (RE2_FLAGS[c] ?? 0), 0),
        );
      } catch (err) {
        re = `invalid or unsupported regular expression (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`;
      }
    }
    if (cache.size > 1000) cache.delete(cache.keys().next().value!);
    cache.set(key, re);
  }
  return re;
}
