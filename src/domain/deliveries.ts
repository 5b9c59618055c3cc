/** The delivery vocabulary, once: statuses, attempt triggers, attempt errors and status classes. */
export const DELIVERY_STATUSES = [
  "pending",
  "delivering",
  "succeeded",
  "pending_retry",
  "failed",
  "cancelled",
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery in one of these never changes again (but for a manual success). */
export const FINAL_STATUSES = ["succeeded", "failed", "cancelled"] as const satisfies readonly DeliveryStatus[];

export const ATTEMPT_TRIGGERS = ["scheduled", "manual", "test", "recover"] as const;
export type AttemptTrigger = (typeof ATTEMPT_TRIGGERS)[number];

export const ATTEMPT_ERRORS = ["timeout", "connection", "dns", "blocked_destination", "tls"] as const;
export type AttemptError = (typeof ATTEMPT_ERRORS)[number];

/**
 * The HTTP status class of an attempt, for the roll-ups, the metrics and the delivery filters:
 * `none` is an attempt that got no HTTP answer at all (timeout, connection, dns, tls, blocked destination).
 */
export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx", "none"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Upper bounds (ms) of the attempt-latency histogram buckets; the last bucket is open-ended. */
export const LATENCY_BUCKETS_MS = [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600] as const;
