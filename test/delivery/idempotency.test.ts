/**
 * The idempotency rule (docs/contract.md "Idempotency"): a repeat of a key is the same event when
 * its type, data, channels, ordering key, deliver_at and expires_at match; object key order does
 * not count. Anything else differing makes it a different body (a 409 at ingest).
 */
import { describe, expect, it } from "vitest";
import { type FingerprintedEvent, fingerprintOf } from "../../src/delivery/idempotency";

const first: FingerprintedEvent = {
  type: "job.completed",
  payload: JSON.stringify({ a: 1, b: { c: [1, 2], d: "x" } }),
  channels: ["p1"],
  orderingKey: "k",
  deliverAt: 1_000,
  expiresAt: 2_000,
};

describe("fingerprintOf", () => {
  it.each<{ name: string; repeat: Partial<FingerprintedEvent>; same: boolean }>([
    { name: "the same body", repeat: {}, same: true },
    {
      name: "object keys in another order, at every depth",
      repeat: { payload: JSON.stringify({ b: { d: "x", c: [1, 2] }, a: 1 }) },
      same: true,
    },
    {
      name: "array order is data",
      repeat: { payload: JSON.stringify({ a: 1, b: { c: [2, 1], d: "x" } }) },
      same: false,
    },
    { name: "another value", repeat: { payload: JSON.stringify({ a: 2, b: { c: [1, 2], d: "x" } }) }, same: false },
    { name: "another type", repeat: { type: "job.failed" }, same: false },
    { name: "other channels", repeat: { channels: ["p2"] }, same: false },
    { name: "another ordering key", repeat: { orderingKey: null }, same: false },
    { name: "another deliver_at", repeat: { deliverAt: 1_001 }, same: false },
    { name: "another expires_at", repeat: { expiresAt: null }, same: false },
  ])("$name", ({ repeat, same }) => {
    expect(fingerprintOf({ ...first, ...repeat }) === fingerprintOf(first)).toBe(same);
  });

  it("an absent channel list counts as an empty one", () => {
    expect(fingerprintOf({ ...first, channels: null })).toBe(fingerprintOf({ ...first, channels: [] }));
  });
});
