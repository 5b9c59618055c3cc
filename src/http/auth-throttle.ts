/**
 * Failed authentication is throttled per client. Each failure (a bearer key or portal token that
 * matches nothing) is counted on AUTH_FAILURE_LIMITER (wrangler.toml: 20 per 60 s) under the
 * client's address (`CF-Connecting-IP`, which Cloudflare sets and clients cannot forge). A client
 * over the limit is put in this isolate's penalty box for the period: every request it makes, even
 * with a valid key, answers 429 before any hash or D1 read, so guessing costs the attacker time and
 * costs Edgehooks nothing. Other isolates learn on that client's first failure there (the binding
 * counts across them). Requests without the header (local development, tests that do not set it)
 * are not throttled: there is no client to name.
 */
import { ApiError } from "../errors";

export const AUTH_FAILURE_PERIOD_S = 60;
const MAX_BOXED = 10_000;
const boxedUntil = new Map<string, number>();

export function authClient(header: (name: string) => string | undefined): string | null {
  return header("cf-connecting-ip")?.trim() || null;
}

function tooMany(): ApiError {
  return new ApiError("rate_limited", "too many failed authentications from this client; retry later", undefined, {
    "retry-after": String(AUTH_FAILURE_PERIOD_S),
  });
}

/** Throws 429 while the client sits in the penalty box. */
export function assertNotThrottled(client: string | null, now = Date.now()) {
  if (!client) return;
  const until = boxedUntil.get(client);
  if (until === undefined) return;
  if (until > now) throw tooMany();
  boxedUntil.delete(client);
}

/** Counts a failure; throws 429 (and boxes the client) once it is over the limit. */
export async function noteAuthFailure(env: Pick<Env, "AUTH_FAILURE_LIMITER">, client: string | null, now = Date.now()) {
  if (!client || !env.AUTH_FAILURE_LIMITER) return;
  const { success } = await env.AUTH_FAILURE_LIMITER.limit({ key: client });
  if (success) return;
  if (boxedUntil.size >= MAX_BOXED) boxedUntil.delete(boxedUntil.keys().next().value!);
  boxedUntil.set(client, now + AUTH_FAILURE_PERIOD_S * 1000);
  throw tooMany();
}
