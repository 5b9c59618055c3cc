/**
 * The HTTP status class of an attempt, for the roll-ups and the operator metrics: `none` is an
 * attempt that got no HTTP answer at all (timeout, connection, dns, tls, blocked destination).
 */
export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx", "none"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

export function statusClass(code: number | null): StatusClass {
  if (code === null || code < 200 || code >= 600) return "none";
  return `${Math.floor(code / 100)}xx` as StatusClass;
}
