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

/**
 * Ids of rows a tenant's log holds: in a segment past the first they end with `.<segment>`, in a
 * shard past the first of a segment with `.<segment>~<shard>`
 * (placementOf, below).
 */
const PLACED_PREFIXES: ReadonlySet<IdPrefix> = new Set(["evt", "dlv", "att", "dlq"]);
const PLACED_SUFFIX = "(\\.[0-9]{1,9}(~[0-9]{1,2})?)?";

/** The one id pattern: `ep_` and 26 characters, and for a row of a tenant's log its segment. */
export const idPattern = (prefix: IdPrefix): RegExp =>
  new RegExp(`^${prefix}_${ID_BODY}${PLACED_PREFIXES.has(prefix) ? PLACED_SUFFIX : ""}$`);

export const isId = (prefix: IdPrefix, value: string): boolean => idPattern(prefix).test(value);

/** Any prefixed id, the prefix captured (to name the ids a request path holds). */
export const ANY_ID = new RegExp(`^([a-z]+)_${ID_BODY}$`);

/** A Hono path parameter `id` that matches one id only: `:id{ep_[0-9a-z]{26}}` (typed, so Hono sees `id`). */
export const idPathParam = <P extends IdPrefix>(prefix: P) =>
  `:id{${prefix}_${ID_BODY}}` as `:id{${P}_${typeof ID_BODY}}`;

/**
 * The smallest id of `prefix` minted at `ms` or later: every id made at or after that moment sorts
 * at or after it (a scan from a moment on, by id).
 */
export const firstIdAt = (prefix: IdPrefix, ms: number): string => `${prefix}_${encodeTime(ms)}${"0".repeat(16)}`;

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

/**
 * 80 bits from `key`, the same everywhere (three 32-bit FNV-1a hashes, differently seeded, mixed):
 * the random part of an id made from what it names (idFrom). Not a secret, only spread.
 */
function hash80(key: string): Uint8Array {
  const out = new Uint8Array(12);
  for (let k = 0; k < 3; k++) {
    let h = (0x811c9dc5 ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    new DataView(out.buffer).setUint32(k * 4, h >>> 0);
  }
  return out.subarray(0, 10);
}

/**
 * An id made from what it names instead of a random draw: `head` (the first characters of another
 * id's body, its time at least, so it sorts beside that one) and the rest hashed from `key`. The
 * same key makes the same id, so a second insert of it conflicts on the primary key.
 */
export const idFrom = (prefix: IdPrefix, head: string, key: string): string =>
  `${prefix}_${head}${encodeRandom(hash80(key)).slice(0, 26 - head.length)}`;

export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Where a row lives, carried by its id: `evt_<ulid>.<n>` for a row in place n of a series of
 * stores (a tenant's log segments, src/tenant-log/segments.ts), and `evt_<ulid>.<n>~<j>` for one in
 * shard j > 0 of place n (a hot tenant's segment split over k objects); no suffix is place 0 shard
 * 0, so every id minted before places existed still names it. The suffix follows the time-ordered
 * body, so ids still sort by creation time and a cursor (the last id of a page) names its place too.
 */
const PLACEMENT = /\.(\d+)(?:~(\d+))?$/;

/** The place an id names (0 without a suffix). */
export function placementOf(id: string): number {
  const m = PLACEMENT.exec(id);
  return m ? Number(m[1]) : 0;
}

/** The shard of its place an id names (0 without a `~<j>`). */
export function shardOf(id: string): number {
  const m = PLACEMENT.exec(id);
  return m?.[2] ? Number(m[2]) : 0;
}

/** The id with its place set to `n` and shard `shard` (no suffix for place 0 shard 0, no `~` for shard 0). */
export function withPlacement(id: string, n: number, shard = 0): string {
  const body = id.replace(PLACEMENT, "");
  if (shard > 0) return `${body}.${n}~${shard}`;
  return n === 0 ? body : `${body}.${n}`;
}

/** A new id in the same place and shard as `sibling` (a delivery beside its event, an attempt beside its delivery). */
export const newIdBeside = (prefix: IdPrefix, sibling: string, now = Date.now()) =>
  withPlacement(newId(prefix, now), placementOf(sibling), shardOf(sibling));
