/**
 * Bring-your-own secrets, reveal, and rotations that keep every receiver working: each delivery
 * is checked by independent verifiers, the `standardwebhooks` library for `webhook-signature`
 * and Node's createHmac + timingSafeEqual exactly as the vendors' Express handlers do.
 */

import { env } from "cloudflare:workers";
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { headerSecretIndex, liveSecrets } from "../../../src/attempts/endpoint-snapshot";
import { readConfig } from "../../../src/config";
import { serviceCtx } from "../../../src/services/context";
import { revealSecret, rotated } from "../../../src/services/endpoint-secrets";
import { api, createEndpoint, createTenant } from "../../helpers/api";
import { type Received, receiverUrl, uniquePath, waitForReceived } from "../../helpers/receiver";

const HEADER = "X-DocExtract-Signature";
const hex = { scheme: "hmac-sha256-hex", header: HEADER, prefix: "" };

/** DocExtract's handler: hex HMAC of the raw body, secret string as the key, constant-time compare. */
function vendorVerify(secret: string, r: Received, header = HEADER): boolean {
  const expected = Buffer.from(createHmac("sha256", secret).update(r.body).digest("hex"));
  const got = Buffer.from(r.headers[header.toLowerCase()] ?? "");
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/** A Standard Webhooks receiver: the library's default (whsec_ + base64) or raw-key option. */
function standardVerifies(secret: string, r: Received, raw = false): boolean {
  try {
    new StandardWebhook(secret, raw ? { format: "raw" } : undefined).verify(r.body, r.headers);
    return true;
  } catch {
    return false;
  }
}

async function deliverOne(tenant: string, path: string) {
  const before = (await waitForReceived(path, 0)).length;
  const res = await api("POST", `/v1/tenants/${tenant}/events`, {
    body: { type: "job.completed", data: { job_id: "j1" } },
  });
  expect(res.status).toBe(202);
  return (await waitForReceived(path, before + 1))[before]!;
}

const b64Secret = (bytes: number) =>
  "whsec_" + btoa(String.fromCharCode(...Array.from({ length: bytes }, (_, i) => (i * 37 + 11) % 256)));

describe("own secrets on create", () => {
  it.each([24, 48, 64])(
    "standard: a brought whsec_ secret of %i bytes signs, verified by standardwebhooks",
    async (bytes) => {
      const tenant = await createTenant();
      const path = uniquePath("/own");
      const secret = b64Secret(bytes);
      const ep = await createEndpoint(tenant, { url: receiverUrl(path), secret });
      expect(ep.secret).toBe(secret);
      const got = await deliverOne(tenant, path);
      expect(standardVerifies(secret, got)).toBe(true);
      expect(standardVerifies(b64Secret(32), got)).toBe(false);
    },
  );

  it.each(["dx_live_9f8e7d6c5b4a39281706", "a secret with spaces & symbols!?", "whsec_plain-ascii-not-base64"])(
    "hmac-sha256-hex: %j is used as is by the vendor header; webhook-signature is keyed with its UTF-8 bytes",
    async (secret) => {
      const tenant = await createTenant();
      const path = uniquePath("/own");
      const ep = await createEndpoint(tenant, { url: receiverUrl(path), signature: hex, secret });
      expect(ep.secret).toBe(secret);
      const got = await deliverOne(tenant, path);
      expect(vendorVerify(secret, got)).toBe(true);
      expect(vendorVerify(secret + "x", got)).toBe(false);
      // What the Standard Webhooks libraries' raw-key option expects.
      expect(standardVerifies(secret, got, true)).toBe(true);
    },
  );

  it("hmac-sha256-hex with a brought whsec_ + base64 secret: both verifiers, as with a generated one", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/own");
    const secret = b64Secret(32);
    await createEndpoint(tenant, { url: receiverUrl(path), signature: hex, secret });
    const got = await deliverOne(tenant, path);
    expect(vendorVerify(secret, got)).toBe(true);
    expect(standardVerifies(secret, got)).toBe(true);
  });

  it.each([
    [{}, b64Secret(23), /24\.\.64 bytes/],
    [{}, b64Secret(65), /24\.\.64 bytes/],
    [{}, "not-a-whsec-secret-at-all", /whsec_/],
    [{}, "whsec_***notbase64***", /base64/],
    [{ signature: hex }, "short", /16\.\.256/],
    [{ signature: hex }, "x".repeat(257), /16\.\.256/],
    [{ signature: hex }, "nön-ascii-secret-12345", /printable ASCII/],
    [{ signature: hex }, "new\nline-secret-123456", /printable ASCII/],
  ])("refuses %j with %j: 400 naming secret, the secret never echoed", async (extra, secret, why) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: receiverUrl("/x"), secret, ...extra },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    const issue = res.body.error.issues.find((i: { path: string }) => i.path === "secret");
    expect(issue.message).toMatch(why);
    expect(JSON.stringify(res.body)).not.toContain(secret.length > 5 ? secret : "\u0000");
    expect((await api("GET", `/v1/tenants/${tenant}/endpoints`)).body.data).toHaveLength(0);
  });

  it.each([null, 12, ""])("refuses secret %j by type", async (secret) => {
    const tenant = await createTenant();
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, { body: { url: receiverUrl("/x"), secret } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain("secret");
  });

  it("PATCH cannot set a secret (rotation keeps the old one signing), and cannot move a vendor secret to standard", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, {
      url: receiverUrl("/x"),
      signature: hex,
      secret: "dx_live_0123456789abcdef",
    });
    const patch = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, { body: { secret: b64Secret(32) } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.issues.map((i: { path: string }) => i.path)).toContain("secret");
    const toStandard = await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
      body: { signature: { scheme: "standard" } },
    });
    expect(toStandard.status).toBe(400);
    expect(toStandard.body.error.issues.map((i: { path: string }) => i.path)).toContain("signature");
  });
});

describe("reveal", () => {
  it("answers the current secret to admin keys and writable portal sessions, not to read keys or read-only sessions", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    const url = `/v1/tenants/${tenant}/endpoints/${ep.id}/secret`;
    const root = await api("GET", url);
    expect(root.status).toBe(200);
    expect(root.body).toEqual({ secret: ep.secret });
    expect(root.headers.get("cache-control")).toBe("no-store");

    const readKey = (await api("POST", "/v1/api-keys", { body: { name: "r", scopes: ["read"], tenant_id: tenant } }))
      .body.key;
    expect((await api("GET", url, { key: readKey })).status).toBe(403);
    const ro = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { read_only: true } })).body.token;
    expect((await api("GET", url, { key: ro })).status).toBe(403);
    const rw = (await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: { read_only: false } })).body.token;
    expect((await api("GET", url, { key: rw })).body).toEqual({ secret: ep.secret });

    // Another tenant's admin key: 404, nothing revealed.
    const other = await createTenant();
    const otherKey = (await api("POST", "/v1/api-keys", { body: { name: "o", scopes: ["admin"], tenant_id: other } }))
      .body.key;
    const foreign = await api("GET", url, { key: otherKey });
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body)).not.toContain(ep.secret);

    // After a rotation it answers the new secret.
    const rotation = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { body: {} });
    expect((await api("GET", url)).body).toEqual({ secret: rotation.body.secret });
  });

  it("SECRET_REVEAL=false forbids it (403) through the same verb the route and the portal call", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    const allowed = serviceCtx(env);
    expect(allowed.config.secretReveal).toBe(true);
    expect(await revealSecret(allowed, tenant, ep.id)).toEqual({ secret: ep.secret });
    const forbidding = { ...allowed, config: readConfig({ ...env, SECRET_REVEAL: "false" }) };
    expect(forbidding.config.secretReveal).toBe(false);
    await expect(revealSecret(forbidding, tenant, ep.id)).rejects.toMatchObject({ status: 403, code: "forbidden" });
    // Any other value keeps the default (a typo must not silently change the API).
    expect(readConfig({ ...env, SECRET_REVEAL: "flase" }).secretReveal).toBe(true);
  });

  it("an unknown endpoint: 404", async () => {
    const tenant = await createTenant();
    const res = await api("GET", `/v1/tenants/${tenant}/endpoints/ep_01jd0000000000000000000000/secret`);
    expect(res.status).toBe(404);
  });
});

describe("rotation with the commit step", () => {
  it("a receiver holding only the old secret verifies every delivery from rotate until commit; one holding the new secret from commit on", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/rot");
    const oldSecret = "dx_live_old_0123456789abcdef";
    const ep = await createEndpoint(tenant, { url: receiverUrl(path), signature: hex, secret: oldSecret });
    const before = await deliverOne(tenant, path);
    expect(vendorVerify(oldSecret, before)).toBe(true);

    const newSecret = "dx_live_new_fedcba9876543210";
    const rotation = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, {
      body: { grace_period_s: 3600, secret: newSecret },
    });
    expect(rotation.status).toBe(200);
    expect(rotation.body).toMatchObject({ secret: newSecret, live_secrets: 2, pending_commit: true });

    // Until commit: the vendor header is the old secret's; webhook-signature carries both.
    for (let i = 0; i < 3; i++) {
      const during = await deliverOne(tenant, path);
      expect(vendorVerify(oldSecret, during)).toBe(true);
      expect(vendorVerify(newSecret, during)).toBe(false);
      expect(during.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      expect(standardVerifies(oldSecret, during, true)).toBe(true);
      expect(standardVerifies(newSecret, during, true)).toBe(true);
    }
    // The test button signs the same way.
    expect((await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, { body: {} })).body.status_code).toBe(
      200,
    );
    const tested = (await waitForReceived(path, 5))[4]!;
    expect(vendorVerify(oldSecret, tested)).toBe(true);

    const commit = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret/commit`);
    expect(commit.status).toBe(200);
    expect(commit.body).toMatchObject({ endpoint_id: ep.id, live_secrets: 2, pending_commit: false });
    for (let i = 0; i < 2; i++) {
      const after = await deliverOne(tenant, path);
      expect(vendorVerify(newSecret, after)).toBe(true);
      expect(vendorVerify(oldSecret, after)).toBe(false);
      // The old one still signs webhook-signature until its grace period ends.
      expect(standardVerifies(oldSecret, after, true)).toBe(true);
      expect(standardVerifies(newSecret, after, true)).toBe(true);
    }
    // A repeated commit changes nothing.
    const again = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret/commit`);
    expect(again.status).toBe(200);
    expect(vendorVerify(newSecret, await deliverOne(tenant, path))).toBe(true);
  });

  it("rotate-secret refuses a bad brought secret with 400 naming secret, and keeps the old one", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/rot");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    for (const secret of ["dx_plain_secret_not_whsec", b64Secret(10), ep.secret]) {
      const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { body: { secret } });
      expect(res.status).toBe(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain("secret");
    }
    const got = await deliverOne(tenant, path);
    expect(got.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(standardVerifies(ep.secret, got)).toBe(true);
  });

  it("the grace period's end commits on its own (clock driven)", () => {
    const now = Date.parse("2026-11-22T12:00:00Z");
    const list = rotated([{ secret: "old", expires_at: null }], "new", 60, now);
    expect(list[headerSecretIndex(list, now + 59_000)]!.secret).toBe("old");
    expect(list[headerSecretIndex(list, now + 60_000)]!.secret).toBe("new");
    // Grace 0: the new secret signs the vendor header at once.
    const immediate = rotated([{ secret: "old", expires_at: null }], "new", 0, now);
    expect(immediate[headerSecretIndex(immediate, now)]!.secret).toBe("new");
  });

  it("several rotations before a commit keep the secret receivers hold, even past 10 old keys", () => {
    let list = rotated([{ secret: "s0", expires_at: null }], "s1", 604_800, 1000);
    for (let i = 2; i <= 14; i++) list = rotated(list, `s${i}`, 604_800, 1000 + i);
    expect(list).toHaveLength(11); // the new one + at most 10 old
    expect(list[headerSecretIndex(list, 2000)]!.secret).toBe("s0");
    // After s0's grace ends, the newest signs the header; the next rotation holds that one.
    const later = 1000 + 604_800_000;
    expect(list[headerSecretIndex(list, later)]!.secret).toBe("s14");
    const next = rotated(list, "s15", 604_800, later);
    expect(next[headerSecretIndex(next, later)]!.secret).toBe("s14");
  });

  it("two concurrent rotations never lose a secret (compare-and-set on the version)", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/rot");
    const ep = await createEndpoint(tenant, { url: receiverUrl(path) });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { body: { grace_period_s: 3600 } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const secrets = [ep.secret, ...answers.map((a) => a.body.secret as string)];
    expect(new Set(secrets).size).toBe(7);
    const got = await deliverOne(tenant, path);
    expect(got.headers["webhook-signature"]!.split(" ")).toHaveLength(7);
    for (const s of secrets) expect(standardVerifies(s, got)).toBe(true);
    const version = (await env.DB.prepare("SELECT version FROM endpoints WHERE id = ?")
      .bind(ep.id)
      .first<{ version: number }>())!.version;
    expect(version).toBe(7);
    expect(liveSecrets([], 0)).toEqual([]);
  });
});
