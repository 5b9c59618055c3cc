/**
 * Arming an alarm only when that moves it earlier. An object's alarm that is already due at or
 * before the wanted time wakes the object first, and that run arms whatever comes next, so a
 * setAlarm for the same or a later time is a row written (each setAlarm is billed as one) that
 * changes nothing. Inside an alarm handler getAlarm() answers null until the handler arms one
 * (Durable Objects alarms API), so there this always arms.
 */
import { type AlarmStore, armAlarm } from "./row-usage";

/** Arms the alarm for `at` unless one is already set for `at` or earlier. Answers whether it armed. */
export async function armNoLaterThan(storage: DurableObjectStorage, store: AlarmStore, at: number): Promise<boolean> {
  const current = await storage.getAlarm();
  if (current !== null && current <= at) return false;
  await armAlarm(storage, store, at);
  return true;
}
