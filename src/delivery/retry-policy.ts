// The retry ladder: how long a delivery waits after each failed attempt. Pure: the caller passes
// `random` (jitter) and `nowMs` (Retry-After dates), so every branch is testable with tables.

import { z } from "zod";

type PresetName = "standard" | "rapid" | "doubling" | "extended";
export type RetryPolicy = PresetName | { schedule_s: number[] };

const M = 60;
const H = 60 * M;

// Delays in seconds after the 1st, 2nd, … failure (docs/contract.md "Delivery semantics"). Frozen because
// they are shared module state; a caller that mutates one would change every endpoint's ladder.
export const RETRY_PRESETS: Record<PresetName, number[]> = {
  standard: freeze([5, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]),
  rapid: freeze([5, 30, 2 * M, 10 * M, 1 * H]),
  doubling: freeze([5 * M, 10 * M, 20 * M, 40 * M, 80 * M]),
  extended: freeze([5, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]),
};

function freeze(values: number[]): number[] {
  return Object.freeze(values) as number[];
}

export const PRESET_NAMES = ["standard", "rapid", "doubling", "extended"] as const;

const MAX_CUSTOM_STEPS = 20;
const MAX_CUSTOM_DELAY_S = 7 * 24 * H;

// Its API description is added in src/routes/endpoints/schema.ts: the core knows no HTTP layer.
export const RetryPolicySchema = z.union([
  z.enum(PRESET_NAMES),
  z
    .object({
      schedule_s: z.array(z.number().int().min(1).max(MAX_CUSTOM_DELAY_S)).min(1).max(MAX_CUSTOM_STEPS),
    })
    .strict(),
]);

function isPreset(policy: RetryPolicy): policy is PresetName {
  return typeof policy === "string";
}

/** Seconds to wait after each failure; a copy, safe to mutate. */
export function scheduleOf(policy: RetryPolicy): number[] {
  return isPreset(policy) ? [...RETRY_PRESETS[policy]] : [...policy.schedule_s];
}

/** The first attempt plus one retry per schedule step. */
export function maxAttempts(policy: RetryPolicy): number {
  return scheduleOf(policy).length + 1;
}

export function baseDelaysMs(policy: RetryPolicy): number[] {
  return scheduleOf(policy).map((s) => s * 1000);
}

export type FailureKind = "http" | "timeout" | "connection" | "dns" | "tls" | "blocked_destination";

const JITTER = 0.2;
// A receiver that says "too many requests", or is too slow to answer, is overloaded: retrying it
// within seconds adds load and fails again. Presets only: a custom schedule is the operator's call.
const OVERLOAD_FLOOR_S = 60;

type NextRetryInput = {
  policy: RetryPolicy;
  /** How many attempts have failed so far (>= 1). */
  failedAttempts: number;
  statusCode?: number | null;
  failure: FailureKind;
  /** Already parsed (see parseRetryAfter), in seconds. */
  retryAfterS?: number | null;
  /** [0, 1), e.g. Math.random. */
  random: () => number;
};

/** Milliseconds until the next attempt, or null when the ladder is exhausted. */
export function nextRetryDelayMs(input: NextRetryInput): number | null {
  const { policy, failedAttempts, statusCode, failure, retryAfterS, random } = input;
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be an integer >= 1, got ${failedAttempts}`);
  }
  const schedule = scheduleOf(policy);
  if (failedAttempts >= schedule.length + 1) return null;
  const base = schedule[failedAttempts - 1];
  if (base === undefined) return null; // unreachable after the bound check; satisfies the checker

  // Jitter spreads retries of a burst that failed together, so they do not return together.
  let delayS = base * (1 + (random() * 2 - 1) * JITTER);

  // Retry-After is honoured, but clamped: never sooner than our own ladder (a receiver cannot
  // make us hammer it) and never more than twice the step (it cannot park a delivery for days).
  if (
    (statusCode === 429 || statusCode === 503) &&
    typeof retryAfterS === "number" &&
    Number.isFinite(retryAfterS) &&
    retryAfterS >= 0
  ) {
    delayS = Math.min(Math.max(retryAfterS, delayS), 2 * base);
  }

  if (isPreset(policy) && (statusCode === 429 || failure === "timeout")) {
    delayS = Math.max(delayS, OVERLOAD_FLOOR_S);
  }
  return Math.round(delayS * 1000);
}

// Retry-After (RFC 9110 §10.2.3) is either delta-seconds or an HTTP-date. Only the three
// HTTP-date forms are accepted: Date.parse alone would take almost any string as a date.
const DELTA_SECONDS = /^\d+$/;
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Seconds to wait according to a Retry-After header value, or null if absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === "") return null;
  if (DELTA_SECONDS.test(v)) {
    const seconds = Number(v);
    return Number.isFinite(seconds) ? seconds : null;
  }
  let dateMs: number;
  if (IMF_FIXDATE.test(v)) dateMs = Date.parse(v);
  else if (RFC850_DATE.test(v)) dateMs = parseRfc850(v, nowMs);
  else if (ASCTIME_DATE.test(v))
    dateMs = Date.parse(v.replace(/\s+/g, " ") + " GMT"); // asctime is UTC
  else return null;
  if (Number.isNaN(dateMs)) return null;
  // A date in the past means "now"; round up so we never retry before the named second.
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1000));
}

// RFC 850 has a two-digit year; RFC 9110 says to read it as the nearest year not more than 50
// years in the future (relative to `nowMs`, to stay pure). Rebuilt as ISO 8601 so Date.parse
// reads it the same in every runtime.
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function parseRfc850(v: string, nowMs: number): number {
  const m = /, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}:\d{2}:\d{2}) GMT$/.exec(v);
  if (!m) return NaN;
  const [, day, month = "", yy, time] = m;
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return NaN;
  const currentYear = new Date(nowMs).getUTCFullYear();
  let year = Math.floor(currentYear / 100) * 100 + Number(yy);
  if (year > currentYear + 50) year -= 100;
  const mm = String(monthIndex + 1).padStart(2, "0");
  return Date.parse(`${year}-${mm}-${day}T${time}Z`);
}
