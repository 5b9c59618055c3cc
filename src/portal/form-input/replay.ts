/**
 * The replay form's input, pure: submitted fields (or a link's query) become the API's own
 * ReplayInput, so the portal validates a replay exactly as POST /v1/tenants/{t}/replays does, and
 * every problem comes back as an issue next to its field instead of an error page.
 *
 * Times: the form's datetime-local fields carry no zone and mean UTC (every time on the portal is
 * UTC, and says so); a full RFC 3339 timestamp (the preview's pinned `until`) is taken as it is.
 */
import type { z } from "@hono/zod-openapi";
import type { ErrorIssue } from "../../errors";
import { zodIssues } from "../../http/validation";
import { ReplayInput } from "../../routes/replays/schema";
import { REPLAY_MAX_ENDPOINT_IDS } from "../../services/replays";
import { friendlyError } from "./errors";

export interface ReplayFormValues {
  mode: string;
  endpoint_ids: string[];
  /** Names or patterns, separated by commas or spaces, as a person types them. */
  event_types: string;
  statuses: string[];
  status_class: string;
  channel: string;
  since: string;
  until: string;
}

export const EMPTY_REPLAY_FORM: ReplayFormValues = {
  mode: "retry",
  endpoint_ids: [],
  event_types: "",
  statuses: [],
  status_class: "",
  channel: "",
  since: "",
  until: "",
};

/**
 * Values read from one submission at most per list field: one more than the schema accepts, so an
 * over-long list still gets the schema's "at most" message, and a forged form with thousands of
 * boxes costs no more than that to read.
 */
const MAX_LIST_VALUES = REPLAY_MAX_ENDPOINT_IDS + 1;

type Submitted = Record<string, unknown>;

const text = (v: unknown): string => {
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === "string" ? one.trim() : "";
};

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .filter((x): x is string => typeof x === "string" && x.trim() !== "")
    .slice(0, MAX_LIST_VALUES)
    .map((x) => x.trim());

/** A time as the form shows it (a datetime-local value), or the text as typed when it is not a time. */
const shownTime = (s: string) => {
  const ts = timestampOf(s);
  return ts === null ? s : localValueOf(Date.parse(ts));
};

/** The form's values from a parsed body (`parseBody({ all: true })`) or a query (`queries()`, a link's prefill). */
export function replayFormValues(body: Submitted): ReplayFormValues {
  return {
    mode: text(body.mode) || "retry",
    endpoint_ids: list(body.endpoint_ids),
    event_types: text(body.event_types),
    statuses: list(body.statuses),
    status_class: text(body.status_class),
    channel: text(body.channel),
    since: shownTime(text(body.since)),
    until: shownTime(text(body.until)),
  };
}

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** A datetime-local value (UTC) or an RFC 3339 timestamp, as the API's timestamp; null when it is neither. */
function timestampOf(s: string): string | null {
  const candidate = LOCAL_TIME.test(s) ? `${s}Z` : s;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(candidate) || Number.isNaN(Date.parse(candidate))) return null;
  return new Date(Date.parse(candidate)).toISOString();
}

/**
 * A time as a datetime-local value in UTC (what the form shows and sends back): to the second, or
 * to the millisecond when it has some, so a prefilled window (a disabled endpoint's) stays exact.
 */
export const localValueOf = (ms: number) => new Date(ms).toISOString().slice(0, ms % 1000 ? 23 : 19);

export type ReplayFormInput = z.infer<typeof ReplayInput>;

type ParsedReplayForm = { ok: true; input: ReplayFormInput } | { ok: false; issues: ErrorIssue[] };

/** The form's values as the API's input, validated by the API's schema; or every problem found. */
export function parseReplayForm(v: ReplayFormValues): ParsedReplayForm {
  const issues: ErrorIssue[] = [];
  const time = (field: "since" | "until") => {
    if (!v[field]) return undefined;
    const ts = timestampOf(v[field]);
    if (ts === null) issues.push({ path: field, message: "enter a date and time" });
    return ts ?? undefined;
  };
  const eventTypes = v.event_types.split(/[\s,]+/).filter(Boolean);
  const candidate = {
    mode: v.mode,
    ...(v.endpoint_ids.length ? { endpoint_ids: v.endpoint_ids } : {}),
    ...(eventTypes.length ? { event_types: eventTypes } : {}),
    ...(v.statuses.length ? { statuses: v.statuses } : {}),
    ...(v.status_class ? { status_class: v.status_class } : {}),
    ...(v.channel ? { channel: v.channel } : {}),
    since: time("since"),
    ...(v.until ? { until: time("until") } : {}),
  };
  const parsed = ReplayInput.safeParse(candidate, { error: friendlyError });
  if (!parsed.success)
    // A time already reported as unreadable is not reported again as "required".
    for (const issue of zodIssues(parsed.error)) if (!issues.some((i) => i.path === issue.path)) issues.push(issue);
  if (!parsed.success || issues.length) return { ok: false, issues };
  return { ok: true, input: parsed.data };
}
