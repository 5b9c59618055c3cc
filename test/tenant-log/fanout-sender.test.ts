/**
 * The TenantLog's fan-out sender (src/tenant-log/fanout-sender.ts): appends that arrive while a
 * send is in flight share the next one, within MAX_IDS_PER_MESSAGE (the consumer schema's bound); a failed send rejects only the
 * appends it carried. The send here records and answers when released; the API-level tests
 * (test/routes/events/idempotency.test.ts, 20 posts at once) run it inside a real TenantLog.
 */
import { describe, expect, it } from "vitest";
import { FanoutSender, MAX_IDS_PER_MESSAGE } from "../../src/tenant-log/fanout-sender";

function gatedSend() {
  const sent: string[][] = [];
  const gates: ((fail?: Error) => void)[] = [];
  const send = (ids: string[]) => {
    sent.push([...ids]);
    return new Promise<void>((resolve, reject) => gates.push((fail) => (fail ? reject(fail) : resolve())));
  };
  const release = async (fail?: Error) => {
    while (!gates.length) await new Promise((r) => setTimeout(r, 0));
    gates.shift()!(fail);
  };
  return { send, sent, release };
}

describe("fan-out sender", () => {
  it("sends at once when idle, and everything queued meanwhile in one next message", async () => {
    const { send, sent, release } = gatedSend();
    const sender = new FanoutSender(send);
    const first = sender.queue(["a"]);
    expect(sent).toEqual([["a"]]);
    const b = sender.queue(["b1", "b2"]);
    const c = sender.queue(["c"]);
    await release();
    await first;
    await release();
    await Promise.all([b, c]);
    expect(sent).toEqual([["a"], ["b1", "b2", "c"]]);
  });

  it("never names more than MAX_IDS_PER_MESSAGE ids in one message", async () => {
    const { send, sent, release } = gatedSend();
    const sender = new FanoutSender(send);
    const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const parts = [
      sender.queue(["lead"]),
      sender.queue(ids("x", 150)),
      sender.queue(ids("y", 30)),
      sender.queue(ids("z", 100)),
    ];
    for (let i = 0; i < 4; i++) await release();
    await Promise.all(parts);
    // An append larger than the room left spans two messages; every id goes exactly once.
    expect(sent.map((m) => m.length)).toEqual([1, 100, 100, 80]);
    expect(sent.flat().sort()).toEqual(["lead", ...ids("x", 150), ...ids("y", 30), ...ids("z", 100)].sort());
    expect(Math.max(...sent.map((m) => m.length))).toBeLessThanOrEqual(MAX_IDS_PER_MESSAGE);
  });

  it("a failed send rejects the appends it carried, and the next send still goes", async () => {
    const { send, sent, release } = gatedSend();
    const sender = new FanoutSender(send);
    const first = sender.queue(["a"]);
    const second = sender.queue(["b"]);
    await release(new Error("queue said no"));
    await expect(first).rejects.toThrow("queue said no");
    await release();
    await second;
    expect(sent).toEqual([["a"], ["b"]]);
    // Idle again: a new id goes at once.
    const third = sender.queue(["c"]);
    expect(sent.at(-1)).toEqual(["c"]);
    await release();
    await third;
  });

  it("nothing to send sends nothing", async () => {
    const { send, sent } = gatedSend();
    await new FanoutSender(send).queue([]);
    expect(sent).toEqual([]);
  });
});
