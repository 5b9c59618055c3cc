/**
 * What a dispatcher's alarms cost in rows written (each setAlarm is billed as one, counted by
 * src/lib/row-usage.ts): a wake-up arms its alarm once however many deliveries it carries, since a
 * hand-off keeps an alarm already set as early. A run of first attempts held in memory
 * (src/dispatcher/fresh-hold.ts) arms nothing more: their leases need no way back (they go with
 * the object, and the sweep sends them), nor does the retention check them. Light traffic, one
 * webhook per wake-up, pays that one row per webhook; a busy endpoint shares it. A retry, a row of
 * the pending table, still arms its lease (test/dispatcher/resilience.test.ts).
 */
import { describe, expect, it } from "vitest";
import { alarmRowsWritten } from "../../src/lib/row-usage";
import { ladder } from "../helpers/ladder";
import { uniquePath } from "../helpers/receiver";

describe("dispatcher alarm rows", () => {
  it("one wake-up of 5 first attempts arms one alarm: the first enqueue's", async () => {
    const l = await ladder({ path: uniquePath("/status/200") });
    const before = alarmRowsWritten().dispatcher;
    for (let i = 0; i < 5; i++) await l.post({ type: "alarm.rows", data: { i } });
    // The first enqueue arms the alarm; the next four are due no sooner (the clock stands still).
    expect(alarmRowsWritten().dispatcher - before).toBe(1);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(5);
    // The run arms nothing for held rows, and with nothing left to do it deletes the alarm.
    expect(alarmRowsWritten().dispatcher - before).toBe(1);
    expect(await l.alarmAt()).toBeNull();
  });
});
