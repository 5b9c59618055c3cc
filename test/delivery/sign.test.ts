import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSecret } from "../../src/delivery/secret";
import { keyCacheSize, type SignatureProfile, signatureHeaders, signHex, signStandard } from "../../src/delivery/sign";

// The published Standard Webhooks test vector.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  ts: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("signStandard", () => {
  it("matches the Standard Webhooks vector", async () => {
    expect(await signStandard(VECTOR.secret, VECTOR.id, VECTOR.ts, VECTOR.body)).toBe(VECTOR.signature);
  });

  it.each([
    { secret: VECTOR.secret, id: "evt_1", ts: 1700000000, body: "{}" },
    { secret: "whsec_" + btoa("a".repeat(32)), id: "evt_2", ts: 1, body: '{"ü":"€"}' },
    { secret: generateSecret(), id: "evt_3", ts: 2000000000, body: "" },
  ])("agrees with the standardwebhooks library ($id)", async ({ secret, id, ts, body }) => {
    const expected = new Webhook(secret).sign(id, new Date(ts * 1000), body);
    expect(await signStandard(secret, id, ts, body)).toBe(expected);
  });
});

describe("signHex", () => {
  it.each([
    { secret: VECTOR.secret, body: VECTOR.body },
    { secret: "whsec_abc", body: "" },
    { secret: generateSecret(), body: '{"data":{"ü":"€ 😀"}}' },
    { secret: "plain-secret-without-prefix", body: "x".repeat(10000) },
  ])("equals createHmac(sha256, whole secret) over the raw body ($secret)", async ({ secret, body }) => {
    const expected = createHmac("sha256", secret).update(body, "utf8").digest("hex");
    const actual = await signHex(secret, body);
    expect(actual).toBe(expected);
    expect(actual).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("signatureHeaders", () => {
  const standard: SignatureProfile = { scheme: "standard" };
  const hex: SignatureProfile = { scheme: "hmac-sha256-hex", header: "X-DocExtract-Signature", prefix: "sha256=" };
  const older = "whsec_" + btoa("older-secret-bytes-24byte");

  it("standard: one webhook-signature with the vector", async () => {
    const headers = await signatureHeaders(standard, [VECTOR.secret], VECTOR.id, VECTOR.ts, VECTOR.body);
    expect(headers).toEqual({ "webhook-signature": VECTOR.signature });
  });

  it("signs with every secret, newest first, space separated", async () => {
    const headers = await signatureHeaders(standard, [VECTOR.secret, older], VECTOR.id, VECTOR.ts, VECTOR.body);
    expect(headers["webhook-signature"]).toBe(
      `${VECTOR.signature} ${await signStandard(older, VECTOR.id, VECTOR.ts, VECTOR.body)}`,
    );
  });

  it("hmac-sha256-hex: standard header plus the named header from the newest secret", async () => {
    const headers = await signatureHeaders(hex, [VECTOR.secret, older], VECTOR.id, VECTOR.ts, VECTOR.body);
    expect(Object.keys(headers).sort()).toEqual(["webhook-signature", "x-docextract-signature"]);
    expect(headers["x-docextract-signature"]).toBe(
      "sha256=" + createHmac("sha256", VECTOR.secret).update(VECTOR.body).digest("hex"),
    );
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
  });

  it("hmac-sha256-hex with an empty prefix is bare hex", async () => {
    const profile: SignatureProfile = { scheme: "hmac-sha256-hex", header: "X-Sig", prefix: "" };
    const headers = await signatureHeaders(profile, [VECTOR.secret], VECTOR.id, VECTOR.ts, VECTOR.body);
    expect(headers["x-sig"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("never lets the profile header replace webhook-signature", async () => {
    const profile: SignatureProfile = { scheme: "hmac-sha256-hex", header: "Webhook-Signature", prefix: "" };
    const headers = await signatureHeaders(profile, [VECTOR.secret], VECTOR.id, VECTOR.ts, VECTOR.body);
    expect(headers["webhook-signature"]).toBe(VECTOR.signature);
  });

  it("refuses to sign without a secret", async () => {
    await expect(signatureHeaders(standard, [], "evt_1", 1, "{}")).rejects.toThrow(/no secret/);
  });

  it("verifies with the standardwebhooks library, for each live secret", async () => {
    const newest = generateSecret();
    const previous = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"id":"evt_1","type":"job.completed"}';
    const headers = await signatureHeaders(hex, [newest, previous], "evt_1", ts, body);
    for (const secret of [newest, previous]) {
      const verified = new Webhook(secret).verify(body, {
        "webhook-id": "evt_1",
        "webhook-timestamp": String(ts),
        "webhook-signature": headers["webhook-signature"] ?? "",
      });
      expect(verified).toEqual(JSON.parse(body));
    }
  });

  it("keeps the imported-key cache bounded", async () => {
    for (let i = 0; i < 1100; i++) await signHex(`bounded-secret-${i}`, "x");
    expect(keyCacheSize()).toBeLessThanOrEqual(1000);
  });
});
