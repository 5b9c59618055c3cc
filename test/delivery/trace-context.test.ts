/** W3C traceparent parsing, by table: what is kept, what is ignored (never an error). */
import { describe, expect, it } from "vitest";
import { attemptTraceparent, parseTraceparent } from "../../src/delivery/trace-context";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it.each([
    [`00-${TRACE}-${PARENT}-01`, { traceId: TRACE, flags: "01" }],
    [`00-${TRACE}-${PARENT}-00`, { traceId: TRACE, flags: "00" }],
    [` 00-${TRACE}-${PARENT}-01 `, { traceId: TRACE, flags: "01" }],
    // A later version may append fields; its first four are read.
    [`01-${TRACE}-${PARENT}-01-extra`, { traceId: TRACE, flags: "01" }],
  ])("keeps %j", (header, expected) => {
    expect(parseTraceparent(header)).toEqual(expected);
  });

  it.each([
    [undefined],
    [""],
    ["garbage"],
    [`00-${TRACE.toUpperCase()}-${PARENT}-01`], // uppercase hex is invalid
    [`00-${"0".repeat(32)}-${PARENT}-01`], // all-zero trace id
    [`00-${TRACE}-${"0".repeat(16)}-01`], // all-zero parent id
    [`ff-${TRACE}-${PARENT}-01`], // version ff is forbidden
    [`00-${TRACE}-${PARENT}-01-extra`], // version 00 has exactly four fields
    [`00-${TRACE.slice(1)}-${PARENT}-01`],
    [`00-${TRACE}-${PARENT}-1`],
    [`00-${TRACE}-${PARENT}-0g`],
    [`00_${TRACE}_${PARENT}_01`],
  ])("ignores %j", (header) => {
    expect(parseTraceparent(header)).toBeNull();
  });
});

describe("attemptTraceparent", () => {
  it("continues the trace with a new span id, never all zeros", () => {
    let calls = 0;
    // The first draw is all zeros (invalid as a span id): it is drawn again.
    const random = (n: number) => (calls++ === 0 ? new Uint8Array(n) : Uint8Array.from({ length: n }, (_, i) => i + 1));
    expect(attemptTraceparent({ traceId: TRACE, flags: "01" }, random)).toBe(`00-${TRACE}-0102030405060708-01`);
    expect(calls).toBe(2);
    const header = attemptTraceparent({ traceId: TRACE, flags: "01" }, (n) =>
      crypto.getRandomValues(new Uint8Array(n)),
    );
    expect(parseTraceparent(header)).toEqual({ traceId: TRACE, flags: "01" });
  });
});
