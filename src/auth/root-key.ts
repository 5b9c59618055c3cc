/**
 * The root key can do everything, so a guessable one is refused outright: it authenticates
 * nobody, and the first request of each isolate logs why (`config.root_key_weak`, loudly, at
 * error level). Workers have no start-up hook; the first use is the start.
 */
import { log } from "../lib/log";

const MIN_ROOT_KEY_LENGTH = 24;
const MIN_DISTINCT = 10;

/** Why the key is too weak to be the root key, or null. */
export function rootKeyProblem(key: string): string | null {
  if (key.length < MIN_ROOT_KEY_LENGTH) return `ROOT_API_KEY is shorter than ${MIN_ROOT_KEY_LENGTH} characters`;
  if (new Set(key).size < MIN_DISTINCT) return `ROOT_API_KEY has fewer than ${MIN_DISTINCT} distinct characters`;
  return null;
}

const judged = new Map<string, boolean>();
/** Whether the configured root key may be used; logs the refusal once per isolate and key. */
export function rootKeyUsable(key: string): boolean {
  let ok = judged.get(key);
  if (ok === undefined) {
    const problem = rootKeyProblem(key);
    ok = problem === null;
    // The reason only, never the key.
    if (problem)
      log.error("config.root_key_weak", {
        reason: `${problem}; the root key is disabled until it is replaced (see docs/operating.md, Deploy)`,
      });
    if (judged.size > 10) judged.clear();
    judged.set(key, ok);
  }
  return ok;
}
