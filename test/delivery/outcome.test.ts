import { describe, expect, it } from "vitest";
import { AUTO_DISABLE_AFTER_MS, BREAKER_THRESHOLD, HEALTHY, type Health } from "../../src/delivery/health";
import {
  type ClassifiedAttempt,
  type DisableReason,
  decideOutcome,
  FAILING_SIGNAL_AFTER_FAILURES,
  mergeDisable,
  type OutcomeInput,
} from "../../src/delivery/outcome";

const NOW = Date.UTC(2026, 0, 1);
const S = 1000;
const mid = () => 0.5; // no jitter

const ok: ClassifiedAttempt = { ok: true, failure: null, statusCode: 200, retryAfter: null, control: null };
const http500: ClassifiedAttempt = { ok: false, failure: "http", statusCode: 500, retryAfter: null, control: null };

function input(over: Partial<OutcomeInput> = {}): OutcomeInput {
  return {
    result: http500,
    failedBefore: 0,
    manual: false,
    probe: false,
    policy: "standard",
    health: HEALTHY,
    now: NOW,
    random: mid,
    ...over,
  };
}

describe("decideOutcome: what happens to the delivery", () => {
  it.each<{ name: string; in: Partial<OutcomeInput>; out: ReturnType<typeof decideOutcome>["delivery"] }>([
    { name: "first-try success", in: { result: ok }, out: { kind: "succeed", recovered: false } },
    {
      name: "success after failures is a recovery",
      in: { result: ok, failedBefore: 2 },
      out: { kind: "succeed", recovered: true },
    },
    {
      name: "manual success finishes it",
      in: { result: ok, manual: true, failedBefore: 7 },
      out: { kind: "succeed", recovered: true },
    },
    {
      name: "the receiver aborts: cancelled",
      in: { result: { ...http500, control: "abort" } },
      out: { kind: "cancel" },
    },
    {
      name: "abort wins over manual",
      in: { result: { ...http500, control: "abort" }, manual: true },
      out: { kind: "cancel" },
    },
    { name: "failed manual attempt keeps its place", in: { manual: true, failedBefore: 3 }, out: { kind: "keep" } },
    {
      name: "failed manual attempt, blocked: still kept",
      in: { manual: true, result: { ...http500, failure: "blocked_destination", statusCode: null } },
      out: { kind: "keep" },
    },
    {
      name: "blocked destination gives up with retries left",
      in: { result: { ...http500, failure: "blocked_destination", statusCode: null } },
      out: { kind: "give_up", reason: "blocked_destination" },
    },
    {
      name: "first failure: retry after the first step",
      in: {},
      out: { kind: "retry", at: NOW + 5 * S, failedAttempts: 1, failing: false },
    },
    {
      name: "third failure: not yet failing",
      in: { failedBefore: 2 },
      out: { kind: "retry", at: NOW + 30 * 60 * S, failedAttempts: 3, failing: false },
    },
    {
      name: `failure number ${FAILING_SIGNAL_AFTER_FAILURES}: failing`,
      in: { failedBefore: FAILING_SIGNAL_AFTER_FAILURES - 1 },
      out: { kind: "retry", at: NOW + 2 * 3600 * S, failedAttempts: 4, failing: true },
    },
    {
      name: "failure after that: failing raised only once",
      in: { failedBefore: FAILING_SIGNAL_AFTER_FAILURES },
      out: { kind: "retry", at: NOW + 5 * 3600 * S, failedAttempts: 5, failing: false },
    },
    {
      name: "no failure kind: read as a connection error",
      in: { result: { ...http500, failure: null, statusCode: null } },
      out: { kind: "retry", at: NOW + 5 * S, failedAttempts: 1, failing: false },
    },
    {
      name: "Retry-After within the clamp is honoured",
      in: { result: { ...http500, statusCode: 503, retryAfter: "8" } },
      out: { kind: "retry", at: NOW + 8 * S, failedAttempts: 1, failing: false },
    },
    {
      name: "a timeout on a preset waits at least a minute",
      in: { result: { ...http500, failure: "timeout", statusCode: null } },
      out: { kind: "retry", at: NOW + 60 * S, failedAttempts: 1, failing: false },
    },
    {
      name: "custom schedule",
      in: { policy: { schedule_s: [2, 3] }, failedBefore: 1 },
      out: { kind: "retry", at: NOW + 3 * S, failedAttempts: 2, failing: false },
    },
    {
      name: "ladder spent: exhausted",
      in: { policy: "rapid", failedBefore: 5 },
      out: { kind: "give_up", reason: "exhausted" },
    },
    {
      name: "custom ladder spent: exhausted",
      in: { policy: { schedule_s: [2, 3] }, failedBefore: 2 },
      out: { kind: "give_up", reason: "exhausted" },
    },
    {
      name: "410 Gone still walks the ladder (the endpoint is what stops)",
      in: { result: { ...http500, statusCode: 410, control: "disable" } },
      out: { kind: "retry", at: NOW + 5 * S, failedAttempts: 1, failing: false },
    },
  ])("$name", ({ in: over, out }) => {
    expect(decideOutcome(input(over)).delivery).toEqual(out);
  });

  it("jitter comes from the random it is given", () => {
    expect(decideOutcome(input({ random: () => 0 })).delivery).toEqual({
      kind: "retry",
      at: NOW + 4 * S,
      failedAttempts: 1,
      failing: false,
    });
    expect(decideOutcome(input({ random: () => 0.999999 })).delivery).toMatchObject({ at: NOW + 6 * S });
  });
});

describe("decideOutcome: what happens to the endpoint", () => {
  // Failing for `ms` with the breaker already open (as it is after that many failures).
  const failingFor = (ms: number, failures: number): Health => ({
    consecutiveFailures: failures,
    failingSince: NOW - ms,
    breakerOpen: true,
    probeIntervalMs: 30 * S,
    nextProbeAt: NOW + 30 * S,
  });
  const open: Health = {
    consecutiveFailures: BREAKER_THRESHOLD,
    failingSince: NOW - 60 * S,
    breakerOpen: true,
    probeIntervalMs: 30 * S,
    nextProbeAt: NOW,
  };

  it.each<{
    name: string;
    in: Partial<OutcomeInput>;
    disable: DisableReason | null;
    breaker: "opened" | "closed" | null;
    health: Partial<Health>;
  }>([
    { name: "a success keeps it healthy", in: { result: ok }, disable: null, breaker: null, health: HEALTHY },
    {
      name: "a failure starts the failure clock",
      in: {},
      disable: null,
      breaker: null,
      health: { consecutiveFailures: 1, failingSince: NOW, breakerOpen: false },
    },
    {
      name: `failure number ${BREAKER_THRESHOLD} opens the breaker`,
      in: { health: { ...HEALTHY, consecutiveFailures: BREAKER_THRESHOLD - 1, failingSince: NOW - 60 * S } },
      disable: null,
      breaker: "opened",
      health: { consecutiveFailures: BREAKER_THRESHOLD, breakerOpen: true, nextProbeAt: NOW + 30 * S },
    },
    {
      name: "a successful probe closes it",
      in: { result: ok, probe: true, health: open },
      disable: null,
      breaker: "closed",
      health: HEALTHY,
    },
    {
      name: "a failed probe doubles the wait",
      in: { probe: true, health: open },
      disable: null,
      breaker: null,
      health: { breakerOpen: true, probeIntervalMs: 60 * S, nextProbeAt: NOW + 60 * S },
    },
    {
      name: "5 days of failures disable it",
      in: { health: failingFor(AUTO_DISABLE_AFTER_MS, 20) },
      disable: "failing",
      breaker: null,
      health: { consecutiveFailures: 21 },
    },
    {
      name: "just under 5 days does not",
      in: { health: failingFor(AUTO_DISABLE_AFTER_MS - 1, 20) },
      disable: null,
      breaker: null,
      health: { consecutiveFailures: 21 },
    },
    {
      name: "410 Gone disables it at once",
      in: { result: { ...http500, statusCode: 410, control: "disable" } },
      disable: "gone",
      breaker: null,
      health: { consecutiveFailures: 1 },
    },
    {
      name: "410 Gone wins over the failure clock",
      in: {
        result: { ...http500, statusCode: 410, control: "disable" },
        health: failingFor(AUTO_DISABLE_AFTER_MS, 20),
      },
      disable: "gone",
      breaker: null,
      health: { consecutiveFailures: 21 },
    },
    {
      name: "a failed manual attempt counts too",
      in: { manual: true, health: failingFor(AUTO_DISABLE_AFTER_MS, 20) },
      disable: "failing",
      breaker: null,
      health: { consecutiveFailures: 21 },
    },
  ])("$name", ({ in: over, disable, breaker, health }) => {
    const verdict = decideOutcome(input(over));
    expect(verdict.disable).toBe(disable);
    expect(verdict.breaker).toBe(breaker);
    expect(verdict.health).toMatchObject(health);
  });
});

describe("mergeDisable: several attempts settled together", () => {
  it.each<[DisableReason | null, DisableReason | null, DisableReason | null]>([
    [null, null, null],
    [null, "failing", "failing"],
    ["failing", null, "failing"],
    ["failing", "gone", "gone"],
    ["gone", "failing", "gone"],
    ["gone", null, "gone"],
    [null, "gone", "gone"],
  ])("%s then %s: %s", (a, b, out) => {
    expect(mergeDisable(a, b)).toBe(out);
  });
});
