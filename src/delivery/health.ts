/**
 * Endpoint health, pure: the circuit breaker and the auto-disable clock. The dispatcher keeps the
 * state; these functions say what an outcome does to it and how many attempts may start now.
 */
export interface Health {
  consecutiveFailures: number;
  /** When the current unbroken run of failures began; null while the endpoint is healthy. */
  failingSince: number | null;
  breakerOpen: boolean;
  probeIntervalMs: number;
  nextProbeAt: number | null;
}

export const HEALTHY: Health = {
  consecutiveFailures: 0,
  failingSince: null,
  breakerOpen: false,
  probeIntervalMs: 0,
  nextProbeAt: null,
};

export const BREAKER_THRESHOLD = 10;
const PROBE_FIRST_MS = 30_000;
const PROBE_MAX_MS = 10 * 60_000;
export const AUTO_DISABLE_AFTER_MS = 5 * 24 * 3600_000;
const AUTO_DISABLE_MIN_ATTEMPTS = 10;

interface HealthVerdict {
  health: Health;
  /** The endpoint has failed every attempt for 5 days (and at least 10 attempts): disable it. */
  disable: boolean;
  /** The breaker just opened (for logs and operational events). */
  opened: boolean;
  /** The breaker just closed after a successful probe. */
  closed: boolean;
}

/**
 * `probe` marks an attempt the open breaker let through. Failures of attempts that were already
 * under way when the breaker opened (a batch of 20 sent at once, say) only count: they must not
 * each double the probe interval.
 */
export function afterAttempt(health: Health, ok: boolean, now: number, probe = false): HealthVerdict {
  if (ok) {
    return {
      health: { consecutiveFailures: 0, failingSince: null, breakerOpen: false, probeIntervalMs: 0, nextProbeAt: null },
      disable: false,
      opened: false,
      closed: health.breakerOpen,
    };
  }
  const consecutiveFailures = health.consecutiveFailures + 1;
  const failingSince = health.failingSince ?? now;
  let { breakerOpen, probeIntervalMs, nextProbeAt } = health;
  let opened = false;
  if (breakerOpen) {
    if (!probe)
      return {
        health: { ...health, consecutiveFailures, failingSince },
        disable: autoDisable(consecutiveFailures, failingSince, now),
        opened,
        closed: false,
      };
    // A failed probe: wait twice as long before the next one, up to 10 minutes.
    probeIntervalMs = Math.min(Math.max(probeIntervalMs * 2, PROBE_FIRST_MS), PROBE_MAX_MS);
    nextProbeAt = now + probeIntervalMs;
  } else if (consecutiveFailures >= BREAKER_THRESHOLD) {
    breakerOpen = true;
    opened = true;
    probeIntervalMs = PROBE_FIRST_MS;
    nextProbeAt = now + PROBE_FIRST_MS;
  }
  return {
    health: { consecutiveFailures, failingSince, breakerOpen, probeIntervalMs, nextProbeAt },
    disable: autoDisable(consecutiveFailures, failingSince, now),
    opened,
    closed: false,
  };
}

function autoDisable(consecutiveFailures: number, failingSince: number, now: number): boolean {
  return consecutiveFailures >= AUTO_DISABLE_MIN_ATTEMPTS && now - failingSince >= AUTO_DISABLE_AFTER_MS;
}

/**
 * How many attempts may start now. Closed breaker: the endpoint's in-flight cap less what is in
 * flight. Open breaker: one probe at a time, once the probe time has come.
 */
export function attemptBudget(health: Health, opts: { now: number; inFlight: number; maxInFlight: number }): number {
  if (health.breakerOpen) {
    if (opts.inFlight > 0 || health.nextProbeAt === null || opts.now < health.nextProbeAt) return 0;
    return 1;
  }
  return Math.max(0, opts.maxInFlight - opts.inFlight);
}
