/**
 * Encryption at rest: each ciphertext is bound to its row and field (AES-GCM
 * associated data), so a ciphertext moved to another endpoint or another column does not open;
 * ENCRYPTION_KEY can be rotated with the old key in ENCRYPTION_KEYS_OLD still decrypting, the
 * cron's reseal pass re-encrypts under the new key, and v1 ciphertexts (no associated data,
 * written before this change) still decrypt.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resealEndpoints } from "../../src/jobs/reseal";
import { decryptText, encryptText, fieldContext } from "../../src/lib/crypto";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";

const OLD_KEY = (env as Env).ENCRYPTION_KEY!;
const NEW_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 255 - i)));

/** A v1 ciphertext as the previous version wrote it: AES-GCM without associated data. */
async function legacyV1(keyB64: string, plain: string): Promise<string> {
  const raw = Uint8Array.from(atob(keyB64), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const kid = [...new Uint8Array(await crypto.subtle.digest("SHA-256", raw))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 8);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plain)),
  );
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  return `v1.${kid}.${b64(iv)}.${b64(sealed)}`;
}

const row = (id: string) =>
  env.DB.prepare("SELECT secrets_enc, auth_enc, headers_enc FROM endpoints WHERE id = ?")
    .bind(id)
    .first<Record<string, string | null>>();

describe("ciphertexts bound to their row and field", () => {
  it("a ciphertext moved to another endpoint's row does not open there: the attempt fails, nothing is sent with it", async () => {
    const tenant = await createTenant();
    const a = await createEndpoint(tenant, {
      url: receiverUrl(uniquePath("/a")),
      auth: { type: "header", name: "X-Token", value: "token-of-A" },
    });
    const bPath = uniquePath("/b");
    const b = await createEndpoint(tenant, {
      url: receiverUrl(bPath),
      auth: { type: "header", name: "X-Token", value: "token-of-B" },
    });
    await env.DB.prepare("UPDATE endpoints SET auth_enc = ? WHERE id = ?")
      .bind((await row(a.id))!.auth_enc, b.id)
      .run();
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${b.id}/test`, { body: {} });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ error: "connection", status_code: null });
    expect(test.body.error_detail).toMatch(/could not be decrypted/);
  });

  it("a ciphertext moved to another field of the same row does not open either", async () => {
    const tenant = await createTenant();
    const a = await createEndpoint(tenant, {
      url: receiverUrl("/x"),
      auth: { type: "header", name: "X-Token", value: "t" },
      headers: { "X-A": "1" },
    });
    const sealed = (await row(a.id))!;
    await env.DB.prepare("UPDATE endpoints SET auth_enc = ? WHERE id = ?").bind(sealed.headers_enc, a.id).run();
    const test = await api("POST", `/v1/tenants/${tenant}/endpoints/${a.id}/test`, { body: {} });
    expect(test.body).toMatchObject({ error: "connection" });
    expect(test.body.error_detail).toMatch(/could not be decrypted/);
  });

  it("the library refuses a wrong context and opens the right one", async () => {
    const sealed = await encryptText(env as Env, "s3cret", fieldContext("endpoints", "auth_enc", "ep_1"));
    expect(sealed.startsWith("v2.")).toBe(true);
    expect(await decryptText(env as Env, sealed, fieldContext("endpoints", "auth_enc", "ep_1"))).toBe("s3cret");
    await expect(decryptText(env as Env, sealed, fieldContext("endpoints", "auth_enc", "ep_2"))).rejects.toThrow();
    await expect(decryptText(env as Env, sealed, fieldContext("endpoints", "headers_enc", "ep_1"))).rejects.toThrow();
  });

  it("v1 ciphertexts written without associated data still decrypt (migration path)", async () => {
    const legacy = await legacyV1(OLD_KEY, "from-before");
    expect(await decryptText(env as Env, legacy, fieldContext("endpoints", "auth_enc", "ep_any"))).toBe("from-before");
  });
});

describe("key rotation", () => {
  it("a new ENCRYPTION_KEY with the old one in ENCRYPTION_KEYS_OLD: old rows open, the reseal pass moves them, then the old key can go", async () => {
    const tenant = await createTenant();
    const path = uniquePath("/rotated");
    const ep = await createEndpoint(tenant, {
      url: receiverUrl(path),
      auth: { type: "basic", username: "u", password: "p" },
      headers: { "X-H": "v" },
    });
    const before = (await row(ep.id))!;
    const rotated = { ...env, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_OLD: OLD_KEY } as Env;
    const onlyNew = { ...env, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_OLD: "" } as Env;
    const ctxOf = (id: string, col: string) => fieldContext("endpoints", col, id);

    // Without the old key the row cannot be read; with it in ENCRYPTION_KEYS_OLD it can.
    await expect(decryptText(onlyNew, before.auth_enc!, ctxOf(ep.id, "auth_enc"))).rejects.toThrow();
    expect(JSON.parse(await decryptText(rotated, before.auth_enc!, ctxOf(ep.id, "auth_enc")))).toEqual({
      type: "basic",
      username: "u",
      password: "p",
    });

    // The reseal pass re-encrypts every sealed field under the new key.
    let total = 0;
    for (let pass = 0; pass < 50; pass++) {
      const r = await resealEndpoints(rotated, 100);
      total += r.resealed;
      if (r.remaining === r.unreadable) break;
    }
    expect(total).toBeGreaterThan(0);
    // What is left is what no key opens: the rows the tests above damaged on purpose.
    const last = await resealEndpoints(rotated, 100);
    expect(last.remaining).toBe(last.unreadable);
    const after = (await row(ep.id))!;
    for (const col of ["secrets_enc", "auth_enc", "headers_enc"] as const) {
      expect(after[col]).not.toBe(before[col]);
      expect(await decryptText(onlyNew, after[col]!, ctxOf(ep.id, col))).toBe(
        await decryptText(rotated, before[col]!, ctxOf(ep.id, col)),
      );
    }
    // And a write with the new key alone seals under it too (lazy re-encryption on write).
    const sealed = await encryptText(onlyNew, "x", ctxOf(ep.id, "auth_enc"));
    expect(sealed.split(".")[1]).toBe(after.auth_enc!.split(".")[1]);
    expect(sealed.split(".")[1]).not.toBe(before.auth_enc!.split(".")[1]);
    // Rotating back (the test environment runs on OLD_KEY) is the same procedure the other way round.
    const back = { ...env, ENCRYPTION_KEY: OLD_KEY, ENCRYPTION_KEYS_OLD: NEW_KEY } as Env;
    for (let pass = 0; pass < 50; pass++) {
      const r = await resealEndpoints(back, 100);
      if (r.remaining === r.unreadable) break;
    }
    // The endpoint still delivers: its dispatcher got the resealed snapshot.
    await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: {} } });
    expect((await waitForReceived(path, 1))[0]!.headers["x-h"]).toBe("v");
  });
});
