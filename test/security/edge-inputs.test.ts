/**
 * Inputs at the edges answer safely: malformed percent-encoding in a path is a 400 in the error
 * envelope, never a 500; a signature prefix with control characters is refused (400 naming
 * `signature.prefix`); tenant list cursors page through mixed-case ids in order and a cursor
 * holding a bad id is 400; destinations in special-purpose address blocks or with odd spellings of
 * a host are refused while those just outside stay allowed; and a weak root key authenticates
 * nobody, even when presented exactly.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { resolvePrincipal } from "../../src/auth/principal";
import { rootKeyProblem } from "../../src/auth/root-key";
import { checkDestination } from "../../src/delivery/ssrf";
import { encodeCursor } from "../../src/http/pagination";
import { api, createTenant, ROOT_KEY } from "../helpers/api";
import { receiverUrl } from "../helpers/receiver";

describe("malformed input answers 4xx in the envelope", () => {
  it.each(["%ZZ", "%E0%A4%A", "%FF", "%"])("GET /v1/tenants/%s is 400, not 500", async (raw) => {
    const res = await api("GET", `/v1/tenants/${raw}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("bad_request");
    expect(res.headers.get("x-request-id")).toBe(res.body.error.request_id);
  });

  it.each(["v1=\r\n", "a\nb", "x\r", "\u0000"])(
    "a signature prefix with control characters (%j) is refused",
    async (prefix) => {
      const tenant = await createTenant();
      const res = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
        body: { url: receiverUrl("/x"), signature: { scheme: "hmac-sha256-hex", header: "X-Sig", prefix } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain("signature.prefix");
    },
  );
});

describe("tenant list cursors", () => {
  it("page through mixed-case tenant ids such as Acme", async () => {
    const stamp = Date.now().toString(36);
    const ids = [`Acme${stamp}A`, `Acme${stamp}B`, `Acme${stamp}C`];
    for (const id of ids) await createTenant(id);
    // Start just above the three (ids sort by byte; "Acme…D" is after all of them).
    let cursor = encodeCursor(`Acme${stamp}D`);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api("GET", `/v1/tenants?limit=1&cursor=${cursor}`);
      expect(res.status).toBe(200);
      seen.push(res.body.data[0].id);
      cursor = res.body.next_cursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await api("GET", `/v1/tenants?cursor=${encodeCursor("bad id!")}`)).status).toBe(400);
  });
});

describe("SSRF residuals", () => {
  const strict = { allowHttp: false, allowPrivate: false };
  it.each([
    "https://127.0.0.1../",
    "https://127.0.0.1...:8443/",
    "https://.127.0.0.1/",
    "https://example..com/",
    "https://[2001:2::1]/",
    "https://[2001:2:0:ffff::1]/",
    "https://[2001:10::1]/",
    "https://[2001:1f:ffff::1]/",
    "https://[2001:20::1]/",
    "https://[2001:2f:ffff::1]/",
    "https://[3fff::1]/",
    "https://[3fff:fff:ffff::1]/",
  ])("%s is refused", (url) => {
    expect(checkDestination(url, strict).ok).toBe(false);
  });

  it.each([
    "https://[2001:3::1]/",
    "https://[2001:30::1]/",
    "https://[3fff:1000::1]/",
    "https://[2606:4700::1111]/",
    "https://example.com./",
  ])("%s (just outside those blocks) is still allowed", (url) => {
    expect(checkDestination(url, strict).ok).toBe(true);
  });
});

describe("the root key's strength", () => {
  it.each([
    ["", "empty"],
    ["short-key", "short"],
    ["a".repeat(40), "repeats"],
    ["ek_root_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "few distinct"],
  ])("refuses %j (%s)", (key) => {
    expect(rootKeyProblem(key)).not.toBeNull();
  });

  it("accepts the test key and a generated one", () => {
    expect(rootKeyProblem(ROOT_KEY)).toBeNull();
    expect(
      rootKeyProblem(`ek_root_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`),
    ).toBeNull();
  });

  it("a weak root key authenticates nobody, even when presented exactly", async () => {
    const weak = { ...env, ROOT_API_KEY: "password" } as Env;
    expect(await resolvePrincipal(weak, "password")).toBeNull();
    expect(await resolvePrincipal(env as Env, ROOT_KEY)).toEqual({ kind: "root" });
  });
});
