/**
 * Sequenced lanes, the TenantLog's half: the log is the one writer of ingest order, so it numbers
 * the deliveries of each endpoint and ordering key 1, 2, 3… in the order their events were
 * ingested (an event's rowid in its shard; a key always lands in one shard, ./segments.ts).
 *
 * - A delivery gets its N at its event's first fan-out, and only then. A fan-out first takes every
 *   earlier event of the same key that is still waiting for its own (a queue that delivers
 *   messages out of order changes nothing), so N follows ingest order.
 * - Every other delivery of the same event and endpoint (a resend, a replay) keeps that N.
 * - A lane continues across segments: the first time a segment meets a key, it brings the key's
 *   tails over from the segment before (which first fans out what it still holds of that key).
 * - Each delivery names the one before it in its lane (`sequence_prev`), so a dispatcher that is
 *   handed N + 1 before N can fetch N from the log instead of waiting (src/dispatcher/lanes.ts).
 * - A run of a lane has an epoch (when its N = 1 was given): a lane unused beyond what the log
 *   keeps starts a new run at 1, and the dispatcher tells the two runs apart by it.
 */

import { MultiRowInsert } from "../lib/multi-row-insert";
import { eventParams, ofEventSql } from "./event-deliveries";

/** A delivery's place in its lane. */
export interface LanePlace {
  n: number;
  /** The delivery with N - 1, or null for the first of a run. */
  prev: string | null;
  epoch: number;
}

/** The tail of one lane in a segment: what the next segment continues from. */
export interface LaneTail {
  key: string;
  endpointId: string;
  n: number;
  last: string | null;
  epoch: number;
}

/**
 * Segments a lane's tails are looked for in, walking back from the one that needs them
 * (./lane-seeding.ts): a month of daily segments, so with the default settings a lane starts a
 * new run only once its last delivery is past the retention. Each step is one call (per shard the
 * keys hash to), all made by the segment that needs the tails: at most 2 × 32 × 16 shards, under
 * the 10,000 subrequests an invocation may make.
 */
export const LANE_SEED_HOPS = 32;

/**
 * Keys new to a segment one fan-out call brings lanes over for; the events of the others wait
 * for a later call. Bounds the tails one call copies (keys × the endpoints that have a lane): at
 * 1,000 endpoints (MAX_ENDPOINTS_PER_TENANT's default) and 255-character keys, one laneTails
 * answer is ~3.5 MB, far under the 32 MiB an RPC may carry, and its rows go in multi-row inserts.
 */
export const LANE_SEED_KEYS_PER_CALL = 10;

/**
 * Earlier events of a key one fan-out call takes first, at most: one fan-out message's worth. An
 * event of the key past them waits for a later call (its id is queued again), so a backlog of one
 * key is fanned out oldest first in bounded steps.
 */
export const LANE_CATCHUP_EVENTS = 100;

/** The endpoint_id of the row marking a key's tails as brought over from the segment before. */
const SEEDED = "";

type Write = (query: string, ...params: unknown[]) => number;

const asJson = (values: string[]) => JSON.stringify(values);

export class LaneBook {
  constructor(
    private readonly sql: SqlStorage,
    private readonly write: Write,
  ) {}

  /** Of these keys, those whose tails this shard has not brought over yet. */
  unseeded(keys: string[]): string[] {
    if (!keys.length) return [];
    const have = new Set(
      this.sql
        .exec<{ k: string }>(
          "SELECT ordering_key AS k FROM lanes WHERE endpoint_id = ? AND ordering_key IN (SELECT value FROM json_each(?))",
          SEEDED,
          asJson(keys),
        )
        .toArray()
        .map((r) => r.k),
    );
    return keys.filter((k) => !have.has(k));
  }

  /**
   * Takes the tails of the segment before and marks the keys as brought over. A lane this shard
   * has already moved on is kept: two fan-outs may bring the same tails over at once.
   */
  seed(keys: string[], tails: LaneTail[]) {
    const rows = new MultiRowInsert(
      "INSERT OR IGNORE INTO lanes (ordering_key, endpoint_id, last_n, last_delivery_id, epoch)",
      5,
      "",
      (query, params) => void this.write(query, ...params),
    );
    for (const t of tails) rows.add([t.key, t.endpointId, t.n, t.last, t.epoch]);
    for (const key of keys) rows.add([key, SEEDED, 0, null, 0]);
    rows.flush();
  }

  /** Every endpoint's tail of these keys in this shard. */
  tails(keys: string[]): LaneTail[] {
    if (!keys.length) return [];
    return this.sql
      .exec<{ key: string; endpoint_id: string; last_n: number; last_delivery_id: string | null; epoch: number }>(
        `SELECT ordering_key AS key, endpoint_id, last_n, last_delivery_id, epoch FROM lanes
         WHERE endpoint_id != ? AND ordering_key IN (SELECT value FROM json_each(?))`,
        SEEDED,
        asJson(keys),
      )
      .toArray()
      .map((r) => ({ key: r.key, endpointId: r.endpoint_id, n: r.last_n, last: r.last_delivery_id, epoch: r.epoch }));
  }

  /** The next place in the lane of this key and endpoint, for a new delivery; the tail moves to it. */
  take(key: string, endpointId: string, deliveryId: string, now: number): LanePlace {
    const row = this.sql
      .exec<{ last_n: number; last_delivery_id: string | null; epoch: number }>(
        "SELECT last_n, last_delivery_id, epoch FROM lanes WHERE ordering_key = ? AND endpoint_id = ?",
        key,
        endpointId,
      )
      .toArray()[0];
    const place: LanePlace = row
      ? { n: row.last_n + 1, prev: row.last_delivery_id, epoch: row.epoch }
      : { n: 1, prev: null, epoch: now };
    this.write(
      `INSERT INTO lanes (ordering_key, endpoint_id, last_n, last_delivery_id, epoch) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ordering_key, endpoint_id) DO UPDATE SET last_n = excluded.last_n, last_delivery_id = excluded.last_delivery_id`,
      key,
      endpointId,
      place.n,
      deliveryId,
      place.epoch,
    );
    return place;
  }

  /** The places the first fan-out gave an event's deliveries, per endpoint: a resend or a replay keeps them. */
  placesOf(eventId: string, byIndex: boolean): Map<string, LanePlace> {
    const rows = this.sql
      .exec<{ endpoint_id: string; sequence: number; sequence_prev: string | null; sequence_epoch: number }>(
        `SELECT endpoint_id, sequence, sequence_prev, sequence_epoch FROM deliveries d WHERE ${ofEventSql("d", "?", byIndex, true)} AND sequence IS NOT NULL`,
        ...eventParams(eventId, byIndex, true),
      )
      .toArray();
    return new Map(rows.map((r) => [r.endpoint_id, { n: r.sequence, prev: r.sequence_prev, epoch: r.sequence_epoch }]));
  }

  /**
   * Events of these keys that wait for their first fan-out, in ingest order, at most `limit`: one
   * indexed walk per key (its events in rowid order, no sort), merged.
   */
  waiting(keys: string[], limit: number): string[] {
    const rows = keys.flatMap((key) =>
      this.sql
        .exec<{ id: string; r: number }>(
          "SELECT id, rowid AS r FROM events WHERE fanned_out_at IS NULL AND ordering_key = ? ORDER BY rowid LIMIT ?",
          key,
          limit,
        )
        .toArray(),
    );
    return rows
      .sort((a, b) => a.r - b.r)
      .slice(0, limit)
      .map((r) => r.id);
  }

  /** Of these keys, those with an event still waiting for its first fan-out (one indexed look each). */
  keysWaiting(keys: string[]): string[] {
    return keys.filter(
      (key) =>
        this.sql.exec("SELECT 1 FROM events WHERE fanned_out_at IS NULL AND ordering_key = ? LIMIT 1", key).toArray()
          .length > 0,
    );
  }
}
