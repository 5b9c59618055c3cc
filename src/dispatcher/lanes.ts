/**
 * Sequenced lanes, the dispatcher's half. The TenantLog numbers each endpoint-and-key lane in
 * ingest order (src/tenant-log/lanes.ts); here a lane's delivery N + 1 goes only once N settled
 * (storage.ts, LANE_HEAD), whatever order hand-offs arrive in. When the head of a lane has waited
 * LANE_GAP_WAIT_MS for a delivery before it that this object was never handed (a hand-off still
 * in a queue, lost, or a delivery cancelled before it got here), it asks the log: walking back
 * along `sequence_prev`, a delivery still open is fetched and enqueued here, and one that was
 * attempted and settled, or is gone with the retention, ends the walk: everything before the head
 * is settled, and the lane goes on. A delivery cancelled before any attempt is stepped over.
 */
import { FINAL_STATUSES } from "../domain/deliveries";
import { errorFields, log } from "../lib/log";
import { logForId } from "../tenant-log/client";
import type { LaneLink } from "../tenant-log/types";
import type { DispatcherStore, LaneRow } from "./storage";

/**
 * How long a lane's head waits for the delivery before it to be handed over on its own before the
 * log is asked. A hand-off from the same fan-out arrives in milliseconds; a queue redelivery in
 * seconds. Past this, the receiver would wait on something that may never come.
 */
export const LANE_GAP_WAIT_MS = 10_000;

/**
 * TenantLog calls one alarm run makes to walk lanes, all lanes together: each is one subrequest,
 * far under the 1,000 a Durable Object invocation may make beside its attempts. A walk cut here
 * goes on from where it stopped in the next run (walk_from).
 */
const LANE_WALK_CALLS_PER_RUN = 50;

/** How soon a lane whose walk did not finish (cut by the bound, or the log not answering) is walked again. */
export const LANE_WALK_RETRY_MS = 1_000;

/**
 * A lane untouched this long with nothing held is forgotten here (the retention check's run, a
 * few times a day, in pages): the table holds the keys of the last day, not every key ever sent.
 * A forgotten lane's next delivery costs one walk call.
 */
export const LANE_IDLE_MS = 24 * 3600_000;

/** Lanes one run looks at, the longest waiting first. */
const LANES_PER_RUN = 20;

const FINAL: ReadonlySet<string> = new Set(FINAL_STATUSES);

/** Enqueues a delivery the walk found open in the log (as a scheduled hand-off of it would). */
type EnqueueFound = (link: LaneLink, key: string) => void;

/**
 * Walks the lanes that waited long enough, each back from its first numbered delivery along
 * `sequence_prev`: an open delivery it was never handed is enqueued (and the walk goes on past
 * it); one withdrawn unsent is stepped over; one attempted in its turn and settled, or gone, or
 * the start of the run, ends the walk, and the lane goes on from just below the lowest N it
 * enqueued. A walk cut by the call bound goes on from where it stopped next run, as long as its
 * lane's head is the same. A lane whose log read fails waits for the next run; the others go on.
 */
export async function walkWaitingLanes(
  env: Env,
  store: DispatcherStore,
  now: number,
  enqueue: EnqueueFound,
): Promise<void> {
  const budget = { calls: LANE_WALK_CALLS_PER_RUN };
  for (const lane of store.waitingLanes(now - LANE_GAP_WAIT_MS, LANES_PER_RUN)) {
    if (budget.calls <= 0) return;
    try {
      await walkLane(env, store, lane, now, enqueue, budget);
    } catch (err) {
      log.warn("could not walk a waiting lane; the next run tries again", {
        key_bytes: lane.key.length,
        ...errorFields(err),
      });
    }
  }
}

async function walkLane(
  env: Env,
  store: DispatcherStore,
  lane: LaneRow,
  now: number,
  enqueue: EnqueueFound,
  budget: { calls: number },
) {
  const head = store.laneHead(lane.key);
  if (!head || head.lane_n <= 1) return store.checkLanes([lane.key], null);
  // Below the lowest N enqueued by this walk, everything up to where it ends is settled.
  let top = head.lane_n;
  let from = lane.walk_head === head.delivery_id && lane.walk_from ? lane.walk_from : head.lane_prev;
  for (;;) {
    if (from === null) break;
    const here = store.settledHere(from);
    if (here?.attempted) break;
    if (here) {
      from = here.prev; // withdrawn here unsent: step over it
      continue;
    }
    if (budget.calls <= 0) {
      store.laneWalkFrom(lane.key, head.delivery_id, from);
      return;
    }
    budget.calls--;
    const link = await logForId(env, head.tenant_id, from).laneLink(from);
    if (link === null || (FINAL.has(link.status) && link.attemptedInTurn)) break;
    if (!FINAL.has(link.status)) {
      // Still open in the log and not here: never handed over, or its hand-off is lost.
      if (!store.get(link.id)) enqueue(link, lane.key);
      if (link.place) top = link.place.n;
    }
    from = link.place?.prev ?? null;
  }
  store.laneResolved(lane.key, head.lane_epoch, top - 1);
  store.checkLanes([lane.key], now);
}
