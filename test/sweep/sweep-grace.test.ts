/** SWEEP_GRACE_S: how old a half-done write must be before the sweeper drives it again. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";

const grace = (value: string | undefined) => readConfig({ ...env, SWEEP_GRACE_S: value }).sweepGraceMs;

describe("sweep grace", () => {
  it("defaults to 120 s, takes whole seconds from 5 up, and falls back on nonsense", () => {
    expect(grace(undefined)).toBe(120_000);
    expect(grace("10")).toBe(10_000);
    expect(grace("5")).toBe(5_000);
    // Below 5 s a write still in flight could be taken for a failed one and driven twice.
    expect(grace("1")).toBe(120_000);
    expect(grace("-3")).toBe(120_000);
    expect(grace("soon")).toBe(120_000);
  });
});
