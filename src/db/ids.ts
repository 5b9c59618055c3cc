/**
 * Prefixed, time-sortable ids (ULID layout: 48-bit millisecond time + 80 random bits, Crockford
 * base32). Sorting ids sorts by creation time, which is what cursor pagination relies on.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "evt" | "ep" | "dlv" | "att" | "key" | "ps" | "task" | "tnt" | "dlq" | "req";

let lastTime = 0;
let lastRandom: Uint8Array<ArrayBuffer> = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** An id after its prefix: 10 characters of time and 16 of randomness (in the pattern, any of 0-9 a-z). */
const ID_BODY = "[0-9a-z]{26}";

/** The one id pattern: `ep_` and 26 characters. */
export const idPattern = (prefix: IdPrefix): RegExp => new RegExp(`^${prefix}_${ID_BODY}$`);

export const isId = (prefix: IdPrefix, value: string): boolean => idPattern(prefix).test(value);

/** Any prefixed id, the prefix captured (to name the ids a request path holds). */
export const ANY_ID = new RegExp(`^([a-z]+)_${ID_BODY}$`);

/** A Hono path parameter `id` that matches one id only: `:id{ep_[0-9a-z]{26}}` (typed, so Hono sees `id`). */
export const idPathParam = <P extends IdPrefix>(prefix: P) => `:id{${prefix}_${ID_BODY}}` as `:id{${P}_${typeof ID_BODY}}`;

/** Monotonic within one isolate: ids made in the same millisecond still sort in creation order. */
export function newId(prefix: IdPrefix, now = Date.now()): string {
  let random: Uint8Array<ArrayBuffer>;
  if (now <= lastTime) {
    now = lastTime;
    random = lastRandom.slice();
    for (let i = random.length - 1; i >= 0; i--) {
      random[i] = (random[i]! + 1) & 0xff;
      if (random[i] !== 0) break;
    }
  } else {
    random = crypto.getRandomValues(new Uint8Array(10));
  }
  lastTime = now;
  lastRandom = random;
  return `${prefix}_${encodeTime(now)}${encodeRandom(random)}`;
}

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
