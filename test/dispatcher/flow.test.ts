/** Pacing and order: rate limit, in-flight cap, ordering lanes, deliver_at and expires_at. */
import { describe, expect, it } from "vitest";
import { CLOCK_AHEAD_MS, ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";

describe("pacing", () => {
  it("rate_limit_per_s: at most N attempts start per second", async () => {
    const l = await ladder({ path: uniquePath("/ok"), endpoint: { rate_limit_per_s: 2 } });
    for (let i = 0; i < 5; i++) await l.post({ type: "a.b", data: { n: i } });
    await l.runAlarm();
    expect(await l.received()).toHaveLength(2);
    expect(await l.alarmAt()).toBe((await l.now()) + 1000);
    await l.runAlarm(); // same second: nothing more
    expect(await l.received()).toHaveLength(2);
    await l.advance(1000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(4);
    await l.advance(1000);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(5);
  });

  it("max_in_flight: at most N requests open at once", async () => {
    const l = await ladder({ path: uniquePath("/ok"), endpoint: { max_in_flight: 1 } });
    for (let i = 0; i < 3; i++) await l.post({ type: "a.b", data: { n: i } });
    await l.runAlarm();
    expect(await l.received()).toHaveLength(1);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(2);
    await l.runAlarm();
    expect(await l.received()).toHaveLength(3);
  });
});

describe("ordering_key", () => {
  it("same key goes strictly in order (a later one waits for the earlier one); other keys run in parallel", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }]); // the first request fails once
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [10] } } });
    const a1 = await l.post({ type: "a.b", data: { n: "a1" }, ordering_key: "A" });
    const a2 = await l.post({ type: "a.b", data: { n: "a2" }, ordering_key: "A" });
    const a3 = await l.post({ type: "a.b", data: { n: "a3" }, ordering_key: "A" });
    await l.runAlarm(); // only a1 (head of lane A) goes, and fails
    expect((await l.received()).map((r) => r.headers["webhook-id"])).toEqual([a1]);

    await l.runAlarm(); // a2 waits behind a1's retry
    expect(await l.received()).toHaveLength(1);

    const b1 = await l.post({ type: "a.b", data: { n: "b1" }, ordering_key: "B" });
    await l.runAlarm(); // lane B is not blocked by lane A
    expect((await l.received()).map((r) => r.headers["webhook-id"])).toEqual([a1, b1]);

    await l.advance(10_000);
    await l.runAlarm(); // a1 retried and succeeds
    await l.runAlarm(); // then a2
    await l.runAlarm(); // then a3
    expect((await l.received()).map((r) => r.headers["webhook-id"])).toEqual([a1, b1, a1, a2, a3]);
  });

  it("a delivery that ends (exhausted) releases its lane", async () => {
    const path = uniquePath("/scripted");
    await script(path, [{ status: 500 }, { status: 500 }]);
    const l = await ladder({ path, endpoint: { retry_policy: { schedule_s: [5] } } });
    const a1 = await l.post({ type: "a.b", data: {}, ordering_key: "K" });
    const a2 = await l.post({ type: "a.b", data: {}, ordering_key: "K" });
    await l.runAlarm();
    await l.advance(5000);
    await l.runAlarm(); // a1 exhausted
    expect((await l.deliveries(a1))[0].status).toBe("failed");
    await l.runAlarm();
    expect((await l.deliveries(a2))[0].status).toBe("succeeded");
  });
});

describe("time", () => {
  it("deliver_at: nothing is sent before it", async () => {
    const l = await ladder({ path: uniquePath("/ok") });
    const at = new Date(Date.now() + CLOCK_AHEAD_MS + 3600_000).toISOString();
    const eventId = await l.post({ type: "a.b", data: {}, deliver_at: at });
    expect(await l.alarmAt()).toBe(Date.parse(at));
    await l.runAlarm();
    expect(await l.received()).toHaveLength(0);
    await l.advance(Date.parse(at) - (await l.now()));
    await l.runAlarm();
    expect((await l.deliveries(eventId))[0].status).toBe("succeeded");
  });

  it("expires_at: what is not delivered by then is cancelled", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [60] } } });
    const expires = new Date(Date.now() + CLOCK_AHEAD_MS + 30_000).toISOString();
    const eventId = await l.post({ type: "a.b", data: {}, expires_at: expires });
    await l.runAlarm(); // first attempt fails; retry due in 60 s, after expiry
    expect(await l.alarmAt()).toBe(Date.parse(expires));
    await l.advance(Date.parse(expires) - (await l.now()));
    await l.runAlarm();
    expect((await l.deliveries(eventId))[0].status).toBe("cancelled");
    expect(await l.received()).toHaveLength(1);
    expect((await l.inspect()).pending).toHaveLength(0);
  });
});
