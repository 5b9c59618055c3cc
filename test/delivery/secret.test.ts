import { describe, expect, it } from "vitest";
import { generateSecret, secretProblem, standardKeyBytes } from "../../src/delivery/secret";

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
    { secret: "whsec_/w==", bytes: [255] },
  ])("$secret → $bytes", ({ secret, bytes }) => {
    expect([...standardKeyBytes(secret)]).toEqual(bytes);
  });

  // A vendor-style secret (no whsec_ + base64) keys webhook-signature with its UTF-8 bytes, what
  // the Standard Webhooks libraries' raw-key option expects.
  it.each(["AAEC", "whsec_not base64!", "whsec_A", "whsec_", "my-docextract-secret-1234"])(
    "uses %s as its UTF-8 bytes",
    (secret) => {
      expect([...standardKeyBytes(secret)]).toEqual([...new TextEncoder().encode(secret)]);
    },
  );
});

describe("secretProblem", () => {
  const b64 = (n: number) => "whsec_" + btoa(String.fromCharCode(...new Uint8Array(n).map((_, i) => i)));
  it.each([b64(24), b64(32), b64(64), generateSecret()])("standard accepts %s", (secret) => {
    expect(secretProblem(secret, "standard")).toBeNull();
  });
  it.each([
    [b64(23), /24\.\.64 bytes \(this one is 23\)/],
    [b64(65), /this one is 65/],
    ["whsec_" + "A".repeat(31) + "!", /base64/],
    ["whsec_AAA", /base64/], // not a multiple of 4
    [btoa("x".repeat(32)), /whsec_/], // no prefix
    ["", /whsec_/],
  ])("standard refuses %s", (secret, why) => {
    expect(secretProblem(secret, "standard")).toMatch(why);
  });
  it.each(["a".repeat(16), "x".repeat(256), "my secret with spaces!", "whsec_not-base64-but-fine", b64(24)])(
    "hmac-sha256-hex accepts %s",
    (secret) => {
      expect(secretProblem(secret, "hmac-sha256-hex")).toBeNull();
    },
  );
  it.each([
    ["a".repeat(15), /16\.\.256 characters \(this one is 15\)/],
    ["a".repeat(257), /this one is 257/],
    ["caf\u00e9-secret-123456", /printable ASCII/],
    ["line\nbreak-secret-1234", /printable ASCII/],
    ["tab\tsecret-123456789", /printable ASCII/],
  ])("hmac-sha256-hex refuses %j", (secret, why) => {
    expect(secretProblem(secret, "hmac-sha256-hex")).toMatch(why);
  });
});
