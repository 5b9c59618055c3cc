/** Endpoint health: auto-disable after 5 days of failures, and the circuit breaker. */
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";
import { ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";

const HOUR = 3600_000;

describe("auto-disable", () => {
  it("disables (failing) once every attempt has failed for 5 days and at least 10 attempts", async () => {
    // One delivery every 12 h: the 11th attempt lands at 120 h = 5 days after the first failure.
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: Array(20).fill(12 * 3600) } } });
    await l.post({ type: "a.b", data: {} });
    for (let attempt = 1; attempt <= 10; attempt++) {
      await l.runAlarm();
      const ep = (await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`)).body;
      expect(ep.status, `after attempt ${attempt}`).toBe("active");
      await l.advance(12 * HOUR);
    }
    await l.runAlarm(); // attempt 11, at 5 days
    const ep = (await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`)).body;
    expect(ep).toMatchObject({ status: "disabled", disabled_reason: "failing" });
    expect(await l.received()).toHaveLength(11);
  });

  it("any success resets the clock", async () => {
    const path = uniquePath("/scripted");
    // Five failures, one success, then failures again.
    await script(path, [...Array(5).fill({ status: 500 }), { status: 200 }, ...Array(20).fill({ status: 500 })]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: Array(20).fill(12 * 3600) } } });
    await l.post({ type: "a.b", data: { n: 1 } }); // fails 5 times, then succeeds at 48 h
    for (let i = 0; i < 6; i++) {
      await l.runAlarm();
      await l.advance(12 * HOUR);
    }
    await l.post({ type: "a.b", data: { n: 2 } }); // fails from 72 h on
    for (let i = 0; i < 10; i++) {
      await l.runAlarm();
      await l.advance(12 * HOUR);
    }
    // 10 failures since the success, spanning 108 h < 5 days: still active.
    const { health } = await l.inspect();
    expect(health.consecutiveFailures).toBe(10);
    const ep = (await api("GET", `/v1/tenants/${l.tenant}/endpoints/${l.endpoint.id}`)).body;
    expect(ep.status).toBe("active");
  });
});

describe("circuit breaker", () => {
  it("opens after 10 consecutive failures, probes one at a time (30 s doubling), closes on success and drains", async () => {
    const path = uniquePath("/scripted");
    await script(path, Array(11).fill({ status: 500 })); // 10 failures + 1 failed probe, then 200s
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [3600, 3600] } } });
    for (let i = 0; i < 10; i++) await l.post({ type: "a.b", data: { n: i } });
    await l.runAlarm(); // 10 first attempts in one run, all fail
    let { health } = await l.inspect();
    expect(health).toMatchObject({ breakerOpen: true, consecutiveFailures: 10, probeIntervalMs: 30_000 });

    // New first attempts wait while the breaker is open.
    const waiting = [await l.post({ type: "a.b", data: { n: 10 } }), await l.post({ type: "a.b", data: { n: 11 } })];
    expect(await l.alarmAt()).toBe((await l.now()) + 30_000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(10);

    // First probe at +30 s: exactly one request; it fails, so the next probe is 60 s later.
    await l.advance(30_000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(11);
    ({ health } = await l.inspect());
    expect(health).toMatchObject({ breakerOpen: true, probeIntervalMs: 60_000 });
    expect(await l.alarmAt()).toBe((await l.now()) + 60_000);

    // Second probe at +60 s succeeds: the breaker closes and the waiting deliveries drain.
    await l.advance(60_000);
    await l.runAlarm();
    ({ health } = await l.inspect());
    expect(health).toMatchObject({ breakerOpen: false, consecutiveFailures: 0 });
    // The second probe was waiting[1]; the failed first probe (waiting[0]) and the ten first
    // failures are back on their ladder and drain when due, all in one run at the endpoint's pace.
    expect((await l.deliveries(waiting[1])).map((d) => d.status)).toEqual(["succeeded"]);
    await l.advance(3600_000);
    await l.runAlarm();
    expect((await l.inspect()).pending).toHaveLength(0);
    const all = await l.deliveries();
    expect(all).toHaveLength(12);
    expect(all.every((d) => d.status === "succeeded")).toBe(true);
  });

  it("failures of attempts already under way when it opens are not probes: the first probe still comes at +30 s", async () => {
    // 20 first attempts go out in one run (the default in-flight cap) and all fail; only the
    // 10th opens the breaker, and the other 10 must not double the probe interval ten times.
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [3600] } } });
    for (let i = 0; i < 20; i++) await l.post({ type: "a.b", data: { n: i } });
    await l.runAlarm();
    expect(await l.received()).toHaveLength(20);
    const { health } = await l.inspect();
    expect(health).toMatchObject({ breakerOpen: true, consecutiveFailures: 20, probeIntervalMs: 30_000 });
    expect(health.nextProbeAt).toBe((await l.now()) + 30_000);
    await l.post({ type: "a.b", data: { n: 20 } });
    await l.advance(30_000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(21); // the probe
  });

  it("the probe interval doubles up to 10 minutes", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: Array(20).fill(7 * 24 * 3600) } } });
    for (let i = 0; i < 10; i++) await l.post({ type: "a.b", data: { n: i } });
    await l.runAlarm();
    // Each probe uses a delivery that is due; a failed probe goes back on its (week-long) ladder.
    for (let i = 10; i < 17; i++) await l.post({ type: "a.b", data: { n: i } });
    const intervals: number[] = [];
    for (let i = 0; i < 7; i++) {
      const { health } = await l.inspect();
      intervals.push(health.probeIntervalMs);
      await l.advance(health.probeIntervalMs);
      await l.runAlarm();
    }
    expect(intervals).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    expect(await l.received()).toHaveLength(17); // 10 + exactly one probe per interval
  });
});
