/**
 * What a re-enabled endpoint missed while disabled: the events of its last disabled window
 * (`disabledAt` to `enabledAt`, both kept on the row, src/attempts/endpoint-status.ts) that match
 * its subscription now and have no delivery to it, counted by the replay plan in `missing` mode.
 * A replay with that filter sends exactly these (docs/replays.md), so the portal offers it.
 *
 * One bounded plan: the window is cut to the replay's own bound (REPLAY_MAX_WINDOW_MS, its oldest
 * week first, as a truncated plan keeps the oldest) and the count to its MAX_REPLAY; `capped` says
 * either cut applied, and a replay with a later `since` takes the rest. Nothing is read once the
 * window's events are past retention: they are gone from the log, so nothing is left to replay.
 */
import type { EndpointRow } from "../attempts/endpoint-snapshot";
import { iso } from "../lib/time";
import type { ServiceCtx } from "./context";
import { planMissing, REPLAY_MAX_WINDOW_MS } from "./replays";

const DAY = 24 * 3600_000;
/**
 * The window is widened to whole seconds (since down, until up), so it reads and is typed back the
 * same in a form or a CLI flag. The extra fraction of a second adds nothing it did not miss: an
 * event fanned out while the endpoint was active has a delivery to it already.
 */
const SECOND = 1000;

/** `missed` on an endpoint's read and on its enable's answer; null when it has not been disabled and enabled again. */
export interface Missed {
  count: number;
  since: string;
  until: string;
  capped: boolean;
}

export async function missedWhileDisabled(ctx: ServiceCtx, row: EndpointRow, now = Date.now()): Promise<Missed | null> {
  const { disabledAt, enabledAt } = row;
  if (row.status !== "active" || disabledAt === null || enabledAt === null || enabledAt < disabledAt) return null;
  if (enabledAt < now - ctx.config.retentionDays * DAY) return null;
  const since = Math.floor(disabledAt / SECOND) * SECOND;
  const end = Math.ceil(enabledAt / SECOND) * SECOND;
  const until = Math.min(end, since + REPLAY_MAX_WINDOW_MS);
  const plan = await planMissing(ctx, row, since, until);
  return { count: plan.total, since: iso(since), until: iso(until), capped: until < end || plan.truncated };
}
