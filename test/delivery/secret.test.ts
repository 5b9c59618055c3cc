import { describe, it, expect } from "vitest";
import { generateSecret, standardKeyBytes } from "../../src/delivery/secret";

describe("generateSecret", () => {
  it("is whsec_ + base64 of 24 random bytes", () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(standardKeyBytes(secret)).toHaveLength(24);
  });

  it("differs every time", () => {
    const seen = new Set(Array.from({ length: 50 }, () => generateSecret()));
    expect(seen.size).toBe(50);
  });
});

describe("standardKeyBytes", () => {
  it.each([
    { secret: "whsec_AAEC", bytes: [0, 1, 2] },
    { secret: "AAEC", bytes: [0, 1, 2] }, // no prefix: the whole string is the key
    { secret: "whsec_/w==", bytes: [255] },
    { secret: "whsec_", bytes: [] },
  ])("$secret → $bytes", ({ secret, bytes }) => {
    expect([...standardKeyBytes(secret)]).toEqual(bytes);
  });

  it.each(["whsec_not base64!", "whsec_A"])("refuses %s", (secret) => {
    expect(() => standardKeyBytes(secret)).toThrow(/base64/);
  });
});
