/**
 * Failed portal logins are throttled on the same limiter as bad API keys (AUTH_FAILURE_LIMITER,
 * 20 per 60 s, per failing code and per CF-Connecting-IP, src/http/auth-throttle.ts). Over the
 * limit the client gets a clear 429 page with Retry-After for its failures; a good link opened
 * from the same address still works (many browsers share an address), and a link that keeps
 * failing is refused before it is looked up.
 */
import { describe, expect, it } from "vitest";
import { api, createTenant, ROOT_KEY } from "../helpers/api";
import { PortalClient } from "../helpers/portal";

const LIMIT = 20;
// Addresses of their own (192.0.2.0/24), apart from the API throttle test's, and one per test: two
// tests drawing the same address would share its failure count (the limiter outlives a test).
const block = Math.floor(Math.random() * 240);
let taken = 0;
const ip = () => `192.0.2.${block + ++taken}`;
const newLink = async (tenant: string) =>
  PortalClient.linkPath((await api("POST", `/v1/tenants/${tenant}/portal-sessions`, { body: {} })).body.url);

describe("failed portal logins are throttled per client", () => {
  it("past 20 bad codes a client gets a 429 page for its failures; a good link from the same address still opens", async () => {
    const tenant = await createTenant();
    const guesser = new PortalClient();
    const from = ip();
    let n = 0;
    // The limiter counts in clock-aligned windows: the first 20 are never refused, one of the next 21 must be.
    let throttled: Awaited<ReturnType<PortalClient["get"]>> | null = null;
    for (let i = 1; i <= 2 * LIMIT + 1 && !throttled; i++) {
      const page = await guesser.get(`/portal/login?code=ps_code_guess${n++}`, { "cf-connecting-ip": from });
      if (page.status === 429) {
        expect(i).toBeGreaterThan(LIMIT);
        throttled = page;
      } else {
        expect(page.status).toBe(401);
        expect(page.html).toContain("This link is not valid");
      }
    }
    expect(throttled, "no 429 within 41 bad codes").not.toBeNull();
    expect(throttled!.headers.get("retry-after")).toBe("60");
    expect(throttled!.headers.get("content-type")).toMatch(/text\/html/);
    expect(throttled!.html).toContain("Too many attempts");
    expect(throttled!.headers.get("set-cookie")).toBeNull();

    // The next bad code from that address is refused too.
    expect((await guesser.get(`/portal/login?code=ps_code_guess${n++}`, { "cf-connecting-ip": from })).status).toBe(
      429,
    );
    // A good link from the same address (another browser behind the same NAT) opens.
    const link = await newLink(tenant);
    const neighbour = new PortalClient();
    const opened = await neighbour.follow(link, { "cf-connecting-ip": from });
    expect(opened.status).toBe(303);
    expect((await neighbour.get("/portal")).status).toBe(200);
    // And the address's API calls with a good key are not refused.
    expect(
      (await api("GET", "/v1/tenants?limit=1", { key: ROOT_KEY, headers: { "cf-connecting-ip": from } })).status,
    ).toBe(200);
  });

  it("a used link opened in another browser counts as a failure; a good login and its reloads do not", async () => {
    const tenant = await createTenant();
    const from = "198.51.100.72";
    // A good login and its reload in the same browser are not failures.
    const browser = new PortalClient();
    const link = await newLink(tenant);
    for (let i = 0; i < LIMIT + 5; i++)
      expect((await browser.follow(link, { "cf-connecting-ip": from })).status).toBe(303);
    // The same used link in another browser is a failure: the 21st..41st is refused.
    const stranger = new PortalClient();
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT + 1 && !statuses.includes(429); i++)
      statuses.push((await stranger.get(link, { "cf-connecting-ip": from })).status);
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(410));
    expect(statuses.at(-1)).toBe(429);
  });
  it("bad codes posted to the login form count the same way (the form is where the code is used)", async () => {
    const from = ip();
    const poster = new PortalClient();
    let n = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT + 1 && !statuses.includes(429); i++) {
      const res = await poster.post(
        "/portal/login",
        { code: `ps_code_posted${n++}` },
        { "cf-connecting-ip": from, "sec-fetch-site": "same-origin" },
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
    expect(statuses.at(-1)).toBe(429);
  });
});
