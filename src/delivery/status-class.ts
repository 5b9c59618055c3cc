/** Which status class (src/domain/deliveries.ts) an attempt's HTTP answer falls in. */
import type { StatusClass } from "../domain/deliveries";

export function statusClass(code: number | null): StatusClass {
  if (code === null || code < 200 || code >= 600) return "none";
  return `${Math.floor(code / 100)}xx` as StatusClass;
}
