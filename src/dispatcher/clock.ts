/**
 * Where a dispatcher takes the time and its jitter from. The pure core takes both as arguments
 * (src/delivery/retry-policy.ts); the object asks its clock, so a test gives it one it drives (a
 * time a day ahead, so alarms never fire by themselves, and a fixed jitter) instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** In [0, 1): the retry ladder's jitter. */
  random(): number;
}

export const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };
