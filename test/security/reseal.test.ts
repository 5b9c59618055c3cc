/**
 * The reseal pass after a key rotation: it pages with a cursor (unreadable rows do not stall it),
 * a snapshot push that fails after the D1 update leaves no dispatcher holding an old-key
 * ciphertext that D1 calls current, and once a pass reports no v1 ciphertext left,
 * ENCRYPTION_REFUSE_V1=true refuses v1 (no associated data) everywhere.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dispatcherFor } from "../../src/dispatcher/client";
import type { EndpointDispatcher } from "../../src/dispatcher/endpoint-dispatcher";
import { resealEndpoints } from "../../src/jobs/reseal";
import { decryptText, encryptText, fieldContext } from "../../src/lib/crypto";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

const OLD_KEY = (env as Env).ENCRYPTION_KEY!;
const NEW_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 7 + 3) % 256)));
const rotated = { ...env, ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEYS_OLD: OLD_KEY } as Env;

const kidOf = (sealed: string) => sealed.split(".")[1];
const secretsEnc = async (id: string) =>
  (await env.DB.prepare("SELECT secrets_enc FROM endpoints WHERE id = ?").bind(id).first<{ secrets_enc: string }>())!
    .secrets_enc;
const snapshotEnc = (id: string) =>
  runInDurableObject(
    dispatcherFor(env, id),
    (i: EndpointDispatcher) =>
      (i as unknown as { store: { endpoint: { secretsEnc: string } | null } }).store.endpoint?.secretsEnc ?? null,
  );

/** A v1 ciphertext as the first version wrote it: AES-GCM without associated data. */
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

/** Runs passes until `done` holds, at most `max` of them; answers how many it took. */
async function passesUntil(keys: Env, limit: number, max: number, done: () => Promise<boolean>) {
  for (let n = 1; n <= max; n++) {
    await resealEndpoints(keys, limit);
    if (await done()) return n;
  }
  return Number.POSITIVE_INFINITY;
}

describe("reseal pass", () => {
  it("pages with a cursor: a page of unreadable rows ahead of a readable one does not stall it", async () => {
    const tenant = await createTenant();
    // Three endpoints first (lower ids) whose ciphertexts no key opens, then a readable stale one.
    for (let i = 0; i < 3; i++) {
      const bad = await createEndpoint(tenant, { url: receiverUrl("/x") });
      await env.DB.prepare("UPDATE endpoints SET secrets_enc = ? WHERE id = ?")
        .bind("v2.0badc0de.AAAAAAAAAAAAAAAA.AAAA", bad.id)
        .run();
    }
    const good = await createEndpoint(tenant, { url: receiverUrl("/x") });
    const before = await secretsEnc(good.id);
    const newKid = kidOf(await encryptText(rotated, "x", "c"));
    // A page of 2: without a cursor every pass would take the same unreadable rows first.
    const stale = await env.DB.prepare("SELECT COUNT(*) AS n FROM endpoints WHERE secrets_enc NOT LIKE ?")
      .bind(`v2.${newKid}.%`)
      .first<{ n: number }>();
    const took = await passesUntil(rotated, 2, stale!.n + 2, async () => kidOf(await secretsEnc(good.id)) === newKid);
    expect(took).toBeLessThanOrEqual(stale!.n + 2);
    expect(
      await decryptText(rotated, await secretsEnc(good.id), fieldContext("endpoints", "secrets_enc", good.id)),
    ).toBe(await decryptText(rotated, before, fieldContext("endpoints", "secrets_enc", good.id)));
    // Put the test environment back on OLD_KEY for the rows this test resealed.
    const back = { ...env, ENCRYPTION_KEY: OLD_KEY, ENCRYPTION_KEYS_OLD: NEW_KEY } as Env;
    await passesUntil(back, 100, 50, async () => kidOf(await secretsEnc(good.id)) === kidOf(before));
  });

  it("a snapshot push that keeps failing after the D1 update: the row goes back to stale (dispatcher and D1 agree), and a later pass finishes it", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    // An update hands the dispatcher its snapshot (creating one does not).
    expect(
      (await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, { body: { description: "held" } })).status,
    ).toBe(200);
    const oldKid = kidOf(await secretsEnc(ep.id));
    expect(kidOf((await snapshotEnc(ep.id))!)).toBe(oldKid);
    // The dispatcher of this endpoint refuses every configure() (an overloaded or resetting object).
    const failing = {
      ...rotated,
      DISPATCHER: new Proxy(env.DISPATCHER, {
        get(target, prop) {
          if (prop !== "getByName") return Reflect.get(target, prop, target);
          return (name: string) => {
            const stub = target.getByName(name);
            if (name !== ep.id) return stub;
            return new Proxy(stub, {
              get: (s, p) =>
                p === "configure" ? () => Promise.reject(new Error("Durable Object reset")) : Reflect.get(s, p, s),
            });
          };
        },
      }),
    } as Env;
    let result: Awaited<ReturnType<typeof resealEndpoints>> | null = null;
    for (let n = 0; n < 50 && !result?.push_failed; n++) result = await resealEndpoints(failing, 100);
    expect(result!.push_failed).toBe(1);
    // D1 does not call the row current while the dispatcher holds the old-key ciphertext.
    expect(kidOf(await secretsEnc(ep.id))).toBe(oldKid);
    expect(kidOf((await snapshotEnc(ep.id))!)).toBe(oldKid);
    expect(result!.remaining).toBeGreaterThan(0);
    // A later pass with a working dispatcher moves both.
    const newKid = kidOf(await encryptText(rotated, "x", "c"));
    await passesUntil(rotated, 100, 50, async () => kidOf(await secretsEnc(ep.id)) === newKid);
    expect(kidOf((await snapshotEnc(ep.id))!)).toBe(newKid);
    const back = { ...env, ENCRYPTION_KEY: OLD_KEY, ENCRYPTION_KEYS_OLD: NEW_KEY } as Env;
    await passesUntil(back, 100, 50, async () => kidOf(await secretsEnc(ep.id)) === oldKid);
  });

  it("reports the v1 ciphertexts left; ENCRYPTION_REFUSE_V1=true refuses v1 (no associated data), v2 still opens", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    const context = fieldContext("endpoints", "secrets_enc", ep.id);
    const plain = await decryptText(env as Env, await secretsEnc(ep.id), context);
    await env.DB.prepare("UPDATE endpoints SET secrets_enc = ? WHERE id = ?")
      .bind(await legacyV1(OLD_KEY, plain), ep.id)
      .run();
    const refusing = { ...env, ENCRYPTION_REFUSE_V1: "true" } as Env;
    const v1 = await secretsEnc(ep.id);
    expect(await decryptText(env as Env, v1, context)).toBe(plain);
    await expect(decryptText(refusing, v1, context)).rejects.toThrow(/ENCRYPTION_REFUSE_V1/);
    expect((await resealEndpoints(env as Env, 100)).v1_remaining).toBeGreaterThanOrEqual(0);
    // The pass rewrites it as v2 (while v1 is still accepted) and then reports none left.
    let last = await resealEndpoints(env as Env, 100);
    for (let n = 0; n < 50 && (await secretsEnc(ep.id)).startsWith("v1."); n++)
      last = await resealEndpoints(env as Env, 100);
    expect(last.v1_remaining).toBe(0);
    expect(await decryptText(refusing, await secretsEnc(ep.id), context)).toBe(plain);
  });
});
