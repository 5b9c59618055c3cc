/**
 * Per-isolate cache of configuration read on the hot path (API keys, tenants, a tenant's
 * endpoints). A change made through this isolate drops the entries it touches at once; a change
 * made through another isolate is seen within the TTL (Config.configCacheTtlMs, default 5 s), the
 * bound docs/choices.md states. Only config is cached, never traffic.
 */
/** API key rows are cached under their hash (never the token itself); any key change drops them all. */
export const API_KEY_CACHE_PREFIX = "key:";

const entries = new Map<string, { at: number; value: unknown }>();
/** Bounded so a flood of distinct keys cannot grow an isolate's memory without limit. */
const MAX_ENTRIES = 10_000;

export async function cached<T>(key: string, ttlMs: number, load: () => Promise<T>, now = Date.now()): Promise<T> {
  if (ttlMs > 0) {
    const hit = entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value as T;
  }
  const value = await load();
  // A miss is never cached: a row created elsewhere a moment later must be found at once.
  if (ttlMs > 0 && value !== undefined && value !== null) {
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(key, { at: now, value });
  }
  return value;
}

/** Drops every entry whose key starts with `prefix` (e.g. "tenant:org_1", "key:"). */
export function invalidate(prefix: string) {
  for (const k of entries.keys()) if (k.startsWith(prefix)) entries.delete(k);
}
