/**
 * Which methods the app's routes take on a path: what a 405 answers in its Allow header, when a
 * path names a resource but not with the method asked ("PUT /v1/tenants/x" is 405, not 404).
 */

const PATTERN_CACHE = new Map<string, RegExp>();

/** Hono's path syntax as a regular expression: `:name{re}` → (re), `:name` → one segment, `*` → anything. */
function patternOf(path: string): RegExp {
  let re = PATTERN_CACHE.get(path);
  if (!re) {
    const source = path
      .split(/(:[A-Za-z0-9_]+(?:\{[^}]*\})?|\*)/)
      .map((part) => {
        if (part === "*") return ".*";
        const param = /^:[A-Za-z0-9_]+(?:\{([^}]*)\})?$/.exec(part);
        if (param) return param[1] ? `(?:${param[1]})` : "[^/]+";
        return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("");
    re = new RegExp(`^${source}/?$`);
    PATTERN_CACHE.set(path, re);
  }
  return re;
}

/** The methods of the routes matching `path`, middleware (ALL) left out; empty when none does. */
export function allowedMethods(routes: readonly { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.endsWith("*")) continue;
    if (patternOf(r.path).test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}
