/**
 * What a dispatcher's alarms cost in rows written (each setAlarm is billed as one, counted by
 * src/lib/row-usage.ts): a wake-up arms its alarm once however many deliveries it carries, since
 * arm() sets only a time that differs from the one armed and enqueues due no sooner change
 * nothing, and a run arms once more for its lease (the way back if the isolate dies mid-attempt;
 * inside an alarm handler getAlarm() answers null, so no "only when earlier" rule can skip it).
 * Light traffic, one webhook per wake-up, pays both: ~2 rows per webhook (bench scenario 6 with
 * BENCH_COST_POSTERS=1); a busy endpoint shares them.
 */
import { describe, expect, it } from "vitest";
import { alarmRowsWritten } from "../../src/lib/row-usage";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

describe("dispatcher alarm rows", () => {
  it("one wake-up of 5 deliveries arms two alarms: the enqueue's and the lease's", async () => {
    const l = await ladder({ path: uniquePath("/status/200") });
    const before = alarmRowsWritten().dispatcher;
    for (let i = 0; i < 5; i++) await l.post({ type: "alarm.rows", data: { i } });
    // The first enqueue arms the alarm; the next four are due no sooner (the clock stands still).
    expect(alarmRowsWritten().dispatcher - before).toBe(1);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(5);
    // The run arms its lease expiry, then, with nothing left to do, deletes the alarm.
    expect(alarmRowsWritten().dispatcher - before).toBe(2);
    expect(await l.alarmAt()).toBeNull();
  });
});
