/**
 * Failed authentication is throttled per failing credential, not per address: many clients share
 * an address (a NAT, a serverless platform's egress, Workers subrequests), and one of them sending
 * a revoked key must not lock the others' good keys out. Each failure (a bearer key, portal token
 * or login code that matches nothing) is counted on AUTH_FAILURE_LIMITER (wrangler.toml: 20 per
 * 60 s) twice: under the credential (the address, `CF-Connecting-IP`, which Cloudflare sets and
 * clients cannot forge, plus the token's first TOKEN_PREFIX_CHARS characters) and under the
 * address alone.
 * - A credential over the limit goes in this isolate's penalty box for the period: that same
 *   token from that address answers 429 before any hash or D1 read (a client retrying a revoked
 *   key in a loop costs nothing). Other isolates learn on its first failure there.
 * - An address over the limit (a client that varies its guesses) gets 429 instead of 401 for
 *   each failure, but its tokens are still checked: a correct key from the same address works.
 * Keys and codes are 256-bit random, so guessing cannot succeed; the address count only makes
 * the refusals say "slow down". Requests without the header (local development, tests that do
 * not set it) are not throttled: there is no client to name.
 */
import { ApiError } from "../errors";

const AUTH_FAILURE_PERIOD_S = 60;
/**
 * How much of a token names it: the kind prefix and a few random characters (`ek_` + 13,
 * `ps_code_` + 8). Enough to tell one client's key from another's, far too little to use (a
 * key has 43 random characters; an API key's `hint` already shows 6 of them).
 */
const TOKEN_PREFIX_CHARS = 16;
/** Boxed credentials per isolate: bounded so a flood of distinct tokens cannot grow memory (the oldest goes first). */
const MAX_BOXED = 10_000;
const boxedUntil = new Map<string, number>();

/** Who failed: the address, and the credential (address plus the token's prefix). */
export interface AuthClient {
  address: string;
  credential: string;
}

export function authClient(header: (name: string) => string | undefined, token: string): AuthClient | null {
  const address = header("cf-connecting-ip")?.trim();
  if (!address) return null;
  return { address, credential: `${address} ${token.slice(0, TOKEN_PREFIX_CHARS)}` };
}

function tooMany(): ApiError {
  return new ApiError("rate_limited", "too many failed authentications with this credential; retry later", undefined, {
    "retry-after": String(AUTH_FAILURE_PERIOD_S),
  });
}

/** Throws 429 while the credential sits in the penalty box. */
export function assertNotThrottled(client: AuthClient | null, now = Date.now()) {
  if (!client) return;
  const until = boxedUntil.get(client.credential);
  if (until === undefined) return;
  if (until > now) throw tooMany();
  boxedUntil.delete(client.credential);
}

/** Counts a failure; throws 429 once the credential (boxing it) or the address is over the limit. */
export async function noteAuthFailure(
  env: Pick<Env, "AUTH_FAILURE_LIMITER">,
  client: AuthClient | null,
  now = Date.now(),
) {
  if (!client || !env.AUTH_FAILURE_LIMITER) return;
  const [credential, address] = await Promise.all([
    env.AUTH_FAILURE_LIMITER.limit({ key: `credential ${client.credential}` }),
    env.AUTH_FAILURE_LIMITER.limit({ key: `address ${client.address}` }),
  ]);
  if (!credential.success) {
    if (boxedUntil.size >= MAX_BOXED) boxedUntil.delete(boxedUntil.keys().next().value!);
    boxedUntil.set(client.credential, now + AUTH_FAILURE_PERIOD_S * 1000);
    throw tooMany();
  }
  if (!address.success) throw tooMany();
}
