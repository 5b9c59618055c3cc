/**
 * How a segment brings a lane over from the segments before it (./lanes.ts): the first time a
 * segment shard fans out an event of an ordering key, it needs each endpoint's last N of that key
 * as the log stood before it. It walks back, asking one segment at a time for the key's tails,
 * until a segment that has them; segments on the way that hold events of the key still waiting
 * for their fan-out are then brought forward, oldest first, each seeded with the tails below it.
 *
 * Every call is made from the segment that needs the tails, to one segment before it, and that
 * one calls no other object: a walk is never deeper than one call, whatever its length (Workers
 * refuse a chain of calls deeper than 16).
 */
import type { RoutableEndpoint } from "../delivery/match";
import { LANE_SEED_HOPS, type LaneTail } from "./lanes";
import { segmentName, shardFor, shardsIn } from "./segments";
import type { LaneContext } from "./types";

/** One segment shard's answer to TenantLog.laneTails. */
export interface LaneTailsAnswer {
  /** The tails of the keys it answered (final there). */
  tails: LaneTail[];
  /** Keys it holds more waiting events of than one call fans out: not final yet. */
  unfinished: string[];
  /** Keys it has not met (asked without a seed): look further back. */
  unseeded: string[];
  /** Of `unseeded`, those with events waiting there: it must be seeded before they go. */
  holding: string[];
}

/**
 * The tails of `keys` as segment `n - 1` ended, from the segments before `n` (at most
 * LANE_SEED_HOPS of them, and none before the oldest kept), and the keys whose tails are not
 * final yet. A key met in none of them starts a new run.
 */
export async function laneTailsBefore(
  env: Env,
  lanes: LaneContext,
  n: number,
  keys: string[],
  endpoints: RoutableEndpoint[],
  now: number,
): Promise<{ tails: LaneTail[]; unfinished: Set<string> }> {
  const resolved = new Map<string, LaneTail[]>();
  const unfinished = new Set<string>();
  const climb: { segment: number; keys: string[] }[] = [];
  const lowest = Math.max(lanes.first, n - LANE_SEED_HOPS);
  let need = keys;
  for (let s = n - 1; need.length && s >= lowest; s--) {
    const answer = await askSegment(env, lanes, s, need, endpoints, now, null);
    const open = new Set([...answer.unseeded, ...answer.unfinished]);
    for (const key of answer.unfinished) unfinished.add(key);
    for (const key of need) if (!open.has(key)) resolved.set(key, []);
    for (const t of answer.tails) resolved.get(t.key)?.push(t);
    if (answer.holding.length) climb.push({ segment: s, keys: answer.holding });
    need = answer.unseeded;
  }
  // Met nowhere (the walk's bound, or the oldest segment kept): a new run.
  for (const key of need) resolved.set(key, []);
  for (const { segment, keys: held } of climb.reverse()) {
    const live = held.filter((k) => !unfinished.has(k));
    if (!live.length) continue;
    const seed = live.flatMap((k) => resolved.get(k) ?? []);
    const answer = await askSegment(env, lanes, segment, live, endpoints, now, seed);
    for (const key of answer.unfinished) unfinished.add(key);
    for (const key of live) resolved.set(key, []);
    for (const t of answer.tails) resolved.get(t.key)?.push(t);
  }
  const tails = keys.filter((k) => !unfinished.has(k)).flatMap((k) => resolved.get(k) ?? []);
  return { tails, unfinished };
}

/** Asks each shard of segment `s` that the keys hash to, at once, and merges the answers. */
async function askSegment(
  env: Env,
  lanes: LaneContext,
  s: number,
  keys: string[],
  endpoints: RoutableEndpoint[],
  now: number,
  seed: LaneTail[] | null,
): Promise<LaneTailsAnswer> {
  const k = shardsIn(lanes.shards, s);
  const byShard = new Map<number, string[]>();
  for (const key of keys) {
    const j = shardFor(key, "", k);
    byShard.set(j, [...(byShard.get(j) ?? []), key]);
  }
  const answers = await Promise.all(
    [...byShard].map(([j, part]) =>
      env.TENANT_LOG.getByName(segmentName(lanes.logName, s, j)).laneTails(
        part,
        endpoints,
        now,
        seed === null ? null : seed.filter((t) => part.includes(t.key)),
      ),
    ),
  );
  return {
    tails: answers.flatMap((a) => a.tails),
    unfinished: answers.flatMap((a) => a.unfinished),
    unseeded: answers.flatMap((a) => a.unseeded),
    holding: answers.flatMap((a) => a.holding),
  };
}
