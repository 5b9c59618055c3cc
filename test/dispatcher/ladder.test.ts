/**
 * The retry ladder, driven by hand: each alarm run is one step, the fake clock moves by exactly
 * the delay the dispatcher scheduled, and the receiver on 127.0.0.1 answers for real.
 */
import { describe, expect, it } from "vitest";
import { RETRY_PRESETS } from "../../src/delivery/retry-policy";
import { ladder } from "../helpers/ladder";
import { script, uniquePath } from "../helpers/receiver";

const S = 1000;

/** Runs the ladder to its end against an always-failing receiver; answers the delays it scheduled. */
async function walk(l: Awaited<ReturnType<typeof ladder>>, maxSteps = 30) {
  const delays: number[] = [];
  for (let step = 0; step < maxSteps; step++) {
    const now = await l.now();
    expect(await l.runAlarm()).toBe(true);
    const { pending } = await l.inspect();
    if (!pending.length) break;
    const due = pending[0]!.due_at;
    delays.push(due - now);
    expect(await l.alarmAt()).toBe(due);
    await l.advance(due - now);
  }
  return delays;
}

describe("retry ladder presets", () => {
  it.each(Object.entries(RETRY_PRESETS))("%s: exact delays before jitter, then failed", async (name, schedule) => {
    const l = await ladder({ endpoint: { retry_policy: name } });
    const eventId = await l.post({ type: "job.completed", data: { n: 1 } });
    const delays = await walk(l);
    expect(delays).toEqual(schedule.map((s) => s * S));

    const got = await l.received();
    expect(got).toHaveLength(schedule.length + 1);
    expect(got.map((r) => r.headers["webhook-attempt"])).toEqual(got.map((_, i) => String(i + 1)));
    // Every retry carries the same webhook-id, so receivers can dedupe.
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set([eventId]));

    const [d] = await l.deliveries(eventId);
    expect(d).toMatchObject({ status: "failed", attempt_count: schedule.length + 1, next_attempt_at: null });
    const detail = await l.delivery(d.id);
    expect(detail.attempts.map((a: { status_code: number }) => a.status_code)).toEqual(got.map(() => 500));
  });

  it("a custom schedule_s is honoured as written", async () => {
    const l = await ladder({ endpoint: { retry_policy: { schedule_s: [1, 2, 7] } } });
    await l.post({ type: "a.b", data: {} });
    expect(await walk(l)).toEqual([1 * S, 2 * S, 7 * S]);
    expect(await l.received()).toHaveLength(4);
  });

  it("the deployment default is standard", async () => {
    const l = await ladder();
    await l.post({ type: "a.b", data: {} });
    await l.runAlarm();
    const { pending } = await l.inspect();
    expect(pending[0]!.due_at - (await l.now())).toBe(RETRY_PRESETS.standard[0]! * S);
  });
});

describe("jitter", () => {
  it.each([
    [0, 0.8],
    [0.25, 0.9],
    [0.5, 1],
    [0.75, 1.1],
    [0.999999, 1.2],
  ])("random() = %s gives %s × the step", async (random, factor) => {
    const l = await ladder({ endpoint: { retry_policy: "doubling" } });
    await l.setRandom(random);
    await l.post({ type: "a.b", data: {} });
    const now = await l.now();
    await l.runAlarm();
    const delay = (await l.inspect()).pending[0]!.due_at - now;
    expect(delay).toBeCloseTo(300 * S * factor, -1);
    expect(delay).toBeGreaterThanOrEqual(300 * S * 0.8);
    expect(delay).toBeLessThanOrEqual(300 * S * 1.2);
  });
});

describe("receiver back-pressure", () => {
  async function firstDelay(policy: unknown, answer: { status: number; headers?: Record<string, string> }) {
    const path = uniquePath("/scripted");
    await script(path, [answer]);
    const l = await ladder({ path, endpoint: { retry_policy: policy } });
    await l.post({ type: "a.b", data: {} });
    const now = await l.now();
    await l.runAlarm();
    return (await l.inspect()).pending[0]!.due_at - now;
  }

  it("Retry-After on 503 is honoured above the step", async () => {
    expect(await firstDelay({ schedule_s: [10] }, { status: 503, headers: { "retry-after": "15" } })).toBe(15 * S);
  });
  it("Retry-After is clamped to 2 × the step", async () => {
    expect(await firstDelay({ schedule_s: [10] }, { status: 503, headers: { "retry-after": "3600" } })).toBe(20 * S);
  });
  it("Retry-After below the step waits the step", async () => {
    expect(await firstDelay({ schedule_s: [10] }, { status: 429, headers: { "retry-after": "1" } })).toBe(10 * S);
  });
  it("Retry-After on a 500 is ignored", async () => {
    expect(await firstDelay({ schedule_s: [10] }, { status: 500, headers: { "retry-after": "15" } })).toBe(10 * S);
  });
  it("a 429 on a preset waits at least 60 s", async () => {
    expect(await firstDelay("rapid", { status: 429 })).toBe(60 * S);
  });
  it("a 429 on a custom schedule has no floor", async () => {
    expect(await firstDelay({ schedule_s: [1, 2] }, { status: 429 })).toBe(1 * S);
  });

  it("a timeout on a preset waits at least 60 s and is recorded as timeout", async () => {
    const l = await ladder({ path: uniquePath("/hang"), endpoint: { retry_policy: "rapid", timeout_ms: 1000 } });
    const eventId = await l.post({ type: "a.b", data: {} });
    const now = await l.now();
    await l.runAlarm();
    expect((await l.inspect()).pending[0]!.due_at - now).toBe(60 * S);
    const [d] = await l.deliveries(eventId);
    const detail = await l.delivery(d.id);
    expect(detail.attempts[0]).toMatchObject({ error: "timeout", status_code: null });
    expect(detail.status).toBe("pending_retry");
  });
});
