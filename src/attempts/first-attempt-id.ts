/**
 * A delivery's first scheduled attempt has the delivery's own id, prefixed `att_` (and so its
 * place and shard too): the TenantLog keeps that attempt in the delivery's row, and finds it from
 * its id without an index (src/tenant-log/first-attempt.ts). Every other attempt gets a new id.
 */
import type { AttemptTrigger } from "../domain/deliveries";

export const firstAttemptId = (deliveryId: string) => `att_${deliveryId.slice(deliveryId.indexOf("_") + 1)}`;

/** The delivery whose first attempt would have this id. */
export const deliveryOfFirstAttempt = (attemptId: string) => `dlv_${attemptId.slice(attemptId.indexOf("_") + 1)}`;

/** Whether an attempt numbered `number` with `trigger` is its delivery's first scheduled one. */
export const isFirstScheduled = (number: number, trigger: AttemptTrigger) => number === 1 && trigger === "scheduled";
