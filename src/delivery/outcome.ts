/**
 * What one attempt's result does to its delivery and to the endpoint, pure: the decision the
 * dispatcher's settle() used to take inline. The dispatcher passes the classified result, where the
 * delivery stands on its ladder, the endpoint's health and the clock; it gets back a verdict and
 * does only the I/O (pending set, outbox, operational events).
 */
import type { ReceiverDisableReason } from "../domain/endpoints";
import { afterAttempt, type Health } from "./health";
import { type FailureKind, nextRetryDelayMs, parseRetryAfter, type RetryPolicy } from "./retry-policy";

/**
 * `delivery.failing` is raised once, when this many attempts of a delivery have failed in a row
 * (and it still has retries left): early enough to act, late enough not to alert on a blip.
 */
export const FAILING_SIGNAL_AFTER_FAILURES = 4;

/** Why the endpoint is switched off: the receiver said so (410 Gone), or 5 days of failures. */
export type DisableReason = ReceiverDisableReason;

/** The parts of an attempt's result the decision reads (classify.ts made them). */
export interface ClassifiedAttempt {
  ok: boolean;
  failure: FailureKind | null;
  statusCode: number | null;
  retryAfter: string | null;
  /** What the receiver asked for: stop the endpoint, or drop this delivery. */
  control: "disable" | "abort" | null;
}

export interface OutcomeInput {
  result: ClassifiedAttempt;
  /** Attempts of this delivery that had failed before this one (the ladder position). */
  failedBefore: number;
  /** An attempt asked for by hand (POST .../retry), outside the ladder. */
  manual: boolean;
  /** An attempt the open breaker let through to test the endpoint. */
  probe: boolean;
  policy: RetryPolicy;
  health: Health;
  now: number;
  /** [0, 1), for the retry jitter. */
  random: () => number;
}

type DeliveryOutcome =
  /** Done; `recovered` when earlier attempts had failed (delivery.recovered). */
  | { kind: "succeed"; recovered: boolean }
  /** The receiver asked us to drop this delivery. */
  | { kind: "cancel" }
  /** A failed manual attempt: recorded, the delivery keeps its status and its place on the ladder. */
  | { kind: "keep" }
  /** Try again at `at`; `failing` raises delivery.failing. */
  | { kind: "retry"; at: number; failedAttempts: number; failing: boolean }
  /** No more attempts: the ladder is spent, or the destination is blocked (waiting will not unblock it). */
  | { kind: "give_up"; reason: "exhausted" | "blocked_destination" };

interface OutcomeVerdict {
  delivery: DeliveryOutcome;
  /** The endpoint's health after this attempt (the breaker opens and closes in here). */
  health: Health;
  /** Switch the endpoint off, and why; null to leave it as it is. */
  disable: DisableReason | null;
  /** The breaker opened or closed on this attempt. */
  breaker: "opened" | "closed" | null;
}

export function decideOutcome(input: OutcomeInput): OutcomeVerdict {
  const { result, failedBefore, manual, probe, policy, now, random } = input;
  const verdict = afterAttempt(input.health, result.ok, now, probe);
  const disable: DisableReason | null = result.control === "disable" ? "gone" : verdict.disable ? "failing" : null;
  const breaker = verdict.opened ? "opened" : verdict.closed ? "closed" : null;
  const decided = (delivery: DeliveryOutcome): OutcomeVerdict => ({
    delivery,
    health: verdict.health,
    disable,
    breaker,
  });

  if (result.ok) return decided({ kind: "succeed", recovered: failedBefore > 0 });
  if (result.control === "abort") return decided({ kind: "cancel" });
  if (manual) return decided({ kind: "keep" });
  if (result.failure === "blocked_destination") return decided({ kind: "give_up", reason: "blocked_destination" });

  const failedAttempts = failedBefore + 1;
  const delay = nextRetryDelayMs({
    policy,
    failedAttempts,
    statusCode: result.statusCode,
    failure: result.failure ?? "connection",
    retryAfterS: parseRetryAfter(result.retryAfter, now),
    random,
  });
  if (delay === null) return decided({ kind: "give_up", reason: "exhausted" });
  return decided({
    kind: "retry",
    at: now + delay,
    failedAttempts,
    failing: failedAttempts === FAILING_SIGNAL_AFTER_FAILURES,
  });
}

/**
 * Several attempts settled together may each ask to disable the endpoint: the receiver's own
 * request (gone) wins over the failure clock (failing), whatever order they came in.
 */
export function mergeDisable(current: DisableReason | null, next: DisableReason | null): DisableReason | null {
  if (current === "gone" || next === "gone") return "gone";
  return current ?? next;
}
