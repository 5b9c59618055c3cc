import { describe, expect, it } from "vitest";
import {
  baseDelaysMs,
  type FailureKind,
  maxAttempts,
  nextRetryDelayMs,
  parseRetryAfter,
  RETRY_PRESETS,
  type RetryPolicy,
  RetryPolicySchema,
  scheduleOf,
} from "../../src/delivery/retry-policy";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const mid = () => 0.5; // no jitter

describe("presets", () => {
  it.each<{ policy: RetryPolicy; delaysMs: number[]; attempts: number }>([
    { policy: "standard", delaysMs: [5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 10 * H], attempts: 8 },
    { policy: "rapid", delaysMs: [5 * S, 30 * S, 2 * MIN, 10 * MIN, 1 * H], attempts: 6 },
    { policy: "doubling", delaysMs: [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN], attempts: 6 },
    {
      policy: "extended",
      delaysMs: [5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H],
      attempts: 10,
    },
    { policy: { schedule_s: [1, 2, 3] }, delaysMs: [1 * S, 2 * S, 3 * S], attempts: 4 },
  ])("$policy: base delays and attempts", ({ policy, delaysMs, attempts }) => {
    expect(baseDelaysMs(policy)).toEqual(delaysMs);
    expect(maxAttempts(policy)).toBe(attempts);
    // Without jitter, each step of the ladder is exactly its base delay (no floor applies to http 500).
    const actual = delaysMs.map((_, i) =>
      nextRetryDelayMs({ policy, failedAttempts: i + 1, statusCode: 500, failure: "http", random: mid }),
    );
    expect(actual).toEqual(delaysMs);
  });

  it.each<{ policy: RetryPolicy; lastAfterH: number }>([
    { policy: "standard", lastAfterH: 27.6 },
    { policy: "rapid", lastAfterH: 1.2 },
    { policy: "doubling", lastAfterH: 2.6 },
    { policy: "extended", lastAfterH: 75.6 },
  ])("$policy: last attempt after ~$lastAfterH h (docs/contract.md table)", ({ policy, lastAfterH }) => {
    const total = baseDelaysMs(policy).reduce((a, b) => a + b, 0);
    expect(total / H).toBeCloseTo(lastAfterH, 1);
  });

  it("shared preset arrays cannot be mutated, and scheduleOf hands out copies", () => {
    expect(() => RETRY_PRESETS.standard.push(1)).toThrow();
    const copy = scheduleOf("standard");
    copy[0] = 999;
    expect(scheduleOf("standard")[0]).toBe(5);
  });
});

describe("nextRetryDelayMs", () => {
  it.each<{ random: number; factor: number }>([
    { random: 0, factor: 0.8 },
    { random: 0.25, factor: 0.9 },
    { random: 0.5, factor: 1 },
    { random: 0.75, factor: 1.1 },
    { random: 0.999, factor: 1.1996 },
  ])("jitter: random()=$random → ×$factor", ({ random, factor }) => {
    const delay = nextRetryDelayMs({
      policy: "standard",
      failedAttempts: 2,
      statusCode: 500,
      failure: "http",
      random: () => random,
    });
    expect(delay).toBe(Math.round(5 * MIN * factor));
    expect(delay).toBeGreaterThanOrEqual(0.8 * 5 * MIN);
    expect(delay).toBeLessThan(1.2 * 5 * MIN);
  });

  it("returns integer milliseconds", () => {
    for (const r of [0.1234567, 0.3333333, 0.987654]) {
      const delay = nextRetryDelayMs({
        policy: { schedule_s: [7] },
        failedAttempts: 1,
        failure: "connection",
        random: () => r,
      });
      expect(Number.isInteger(delay)).toBe(true);
    }
  });

  type Row = {
    name: string;
    policy?: RetryPolicy;
    failedAttempts?: number;
    statusCode?: number | null;
    failure?: FailureKind;
    retryAfterS?: number | null;
    random?: number;
    expected: number | null;
  };
  // Standard step 3 is 30 min (1800 s): jittered range [1440 s, 2160 s], clamp ceiling 3600 s.
  it.each<Row>([
    { name: "Retry-After inside the window is honoured (429)", statusCode: 429, retryAfterS: 3000, expected: 3000 * S },
    { name: "Retry-After inside the window is honoured (503)", statusCode: 503, retryAfterS: 2500, expected: 2500 * S },
    {
      name: "Retry-After below the delay is raised to the delay",
      statusCode: 503,
      retryAfterS: 10,
      expected: 30 * MIN,
    },
    {
      name: "Retry-After below the jittered delay keeps the jitter",
      statusCode: 503,
      retryAfterS: 10,
      random: 0,
      expected: 24 * MIN,
    },
    { name: "Retry-After 0 keeps the delay", statusCode: 429, retryAfterS: 0, expected: 30 * MIN },
    { name: "Retry-After above 2×base is capped at 2×base", statusCode: 429, retryAfterS: 86400, expected: 60 * MIN },
    {
      name: "cap is 2×base even with high jitter",
      statusCode: 503,
      retryAfterS: 99999,
      random: 0.999,
      expected: 60 * MIN,
    },
    { name: "Retry-After ignored on 500", statusCode: 500, retryAfterS: 3000, expected: 30 * MIN },
    {
      name: "Retry-After ignored without a status (network error)",
      statusCode: null,
      failure: "connection",
      retryAfterS: 3000,
      expected: 30 * MIN,
    },
    { name: "negative Retry-After ignored", statusCode: 429, retryAfterS: -5, expected: 30 * MIN },
    { name: "NaN Retry-After ignored", statusCode: 429, retryAfterS: Number.NaN, expected: 30 * MIN },
    {
      name: "Infinity Retry-After ignored",
      statusCode: 503,
      retryAfterS: Number.POSITIVE_INFINITY,
      expected: 30 * MIN,
    },
    { name: "null Retry-After", statusCode: 429, retryAfterS: null, expected: 30 * MIN },
    // Step 1 (5 s): the 60 s floor for overload on presets.
    { name: "preset 429 waits at least 60 s", failedAttempts: 1, statusCode: 429, expected: 60 * S },
    {
      name: "preset 429 with small Retry-After still 60 s",
      failedAttempts: 1,
      statusCode: 429,
      retryAfterS: 3,
      expected: 60 * S,
    },
    {
      name: "preset timeout waits at least 60 s",
      failedAttempts: 1,
      statusCode: null,
      failure: "timeout",
      expected: 60 * S,
    },
    {
      name: "rapid timeout waits at least 60 s",
      policy: "rapid",
      failedAttempts: 2,
      failure: "timeout",
      statusCode: null,
      expected: 60 * S,
    },
    { name: "preset 503 has no floor", failedAttempts: 1, statusCode: 503, expected: 5 * S },
    {
      name: "preset 503 with Retry-After capped at 2×5 s",
      failedAttempts: 1,
      statusCode: 503,
      retryAfterS: 120,
      expected: 10 * S,
    },
    { name: "preset 500 has no floor", failedAttempts: 1, statusCode: 500, expected: 5 * S },
    {
      name: "preset connection error has no floor",
      failedAttempts: 1,
      statusCode: null,
      failure: "connection",
      expected: 5 * S,
    },
    { name: "floor does not lower longer delays", failedAttempts: 2, statusCode: 429, random: 0, expected: 4 * MIN },
    {
      name: "custom 429 has no floor",
      policy: { schedule_s: [5, 10] },
      failedAttempts: 1,
      statusCode: 429,
      expected: 5 * S,
    },
    {
      name: "custom timeout has no floor",
      policy: { schedule_s: [5, 10] },
      failedAttempts: 2,
      failure: "timeout",
      statusCode: null,
      expected: 10 * S,
    },
    {
      name: "custom Retry-After still clamped",
      policy: { schedule_s: [5, 10] },
      failedAttempts: 1,
      statusCode: 429,
      retryAfterS: 8,
      expected: 8 * S,
    },
  ])("$name", (row) => {
    const delay = nextRetryDelayMs({
      policy: row.policy ?? "standard",
      failedAttempts: row.failedAttempts ?? 3,
      statusCode: row.statusCode === undefined ? 429 : row.statusCode,
      failure: row.failure ?? "http",
      retryAfterS: row.retryAfterS,
      random: () => row.random ?? 0.5,
    });
    expect(delay).toBe(row.expected);
  });

  it.each<{ policy: RetryPolicy; lastRetryAfter: number; exhaustedAt: number }>([
    { policy: "standard", lastRetryAfter: 7, exhaustedAt: 8 },
    { policy: "rapid", lastRetryAfter: 5, exhaustedAt: 6 },
    { policy: "doubling", lastRetryAfter: 5, exhaustedAt: 6 },
    { policy: "extended", lastRetryAfter: 9, exhaustedAt: 10 },
    { policy: { schedule_s: [60] }, lastRetryAfter: 1, exhaustedAt: 2 },
  ])(
    "$policy: a retry after $lastRetryAfter failures, null at $exhaustedAt",
    ({ policy, lastRetryAfter, exhaustedAt }) => {
      const next = (failedAttempts: number) =>
        nextRetryDelayMs({ policy, failedAttempts, statusCode: 500, failure: "http", random: mid });
      expect(exhaustedAt).toBe(maxAttempts(policy));
      expect(next(lastRetryAfter)).not.toBeNull();
      expect(next(exhaustedAt)).toBeNull();
      expect(next(exhaustedAt + 1)).toBeNull();
    },
  );

  it.each([0, -1, 1.5, Number.NaN])("refuses failedAttempts=%s", (failedAttempts) => {
    expect(() => nextRetryDelayMs({ policy: "standard", failedAttempts, failure: "http", random: mid })).toThrow(
      RangeError,
    );
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it.each<{ value: string | null; expected: number | null }>([
    { value: null, expected: null },
    { value: "", expected: null },
    { value: "   ", expected: null },
    { value: "0", expected: 0 },
    { value: "120", expected: 120 },
    { value: " 42 ", expected: 42 },
    { value: "Sun, 01 Mar 2026 12:02:00 GMT", expected: 120 }, // IMF-fixdate
    { value: "Sun, 01 Mar 2026 12:00:00 GMT", expected: 0 },
    { value: "Sun, 01 Mar 2026 11:00:00 GMT", expected: 0 }, // in the past → now
    { value: "Sunday, 01-Mar-26 12:00:30 GMT", expected: 30 }, // RFC 850
    { value: "Sun Mar  1 12:01:00 2026", expected: 60 }, // asctime
    { value: "-5", expected: null },
    { value: "1.5", expected: null },
    { value: "soon", expected: null },
    { value: "2026-03-01T12:02:00Z", expected: null }, // ISO is not an HTTP-date
    { value: "120 seconds", expected: null },
    { value: "Sun, 01 Foo 2026 12:02:00 GMT", expected: null },
    { value: "0x10", expected: null },
  ])("$value → $expected", ({ value, expected }) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it("rounds a partial second up", () => {
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:00:10 GMT", now + 500)).toBe(10);
  });
});

describe("RetryPolicySchema", () => {
  it.each<{ input: unknown; ok: boolean }>([
    { input: "standard", ok: true },
    { input: "rapid", ok: true },
    { input: "doubling", ok: true },
    { input: "extended", ok: true },
    { input: { schedule_s: [1] }, ok: true },
    { input: { schedule_s: [604800] }, ok: true },
    { input: { schedule_s: Array.from({ length: 20 }, () => 60) }, ok: true },
    { input: "Standard", ok: false },
    { input: "linear", ok: false },
    { input: { schedule_s: [] }, ok: false },
    { input: { schedule_s: Array.from({ length: 21 }, () => 60) }, ok: false },
    { input: { schedule_s: [0] }, ok: false },
    { input: { schedule_s: [604801] }, ok: false },
    { input: { schedule_s: [1.5] }, ok: false },
    { input: { schedule_s: ["5"] }, ok: false },
    { input: { schedule_s: [5], extra: true }, ok: false }, // strict
    { input: { schedule: [5] }, ok: false },
    { input: null, ok: false },
  ])("$input → $ok", ({ input, ok }) => {
    expect(RetryPolicySchema.safeParse(input).success).toBe(ok);
  });
});
