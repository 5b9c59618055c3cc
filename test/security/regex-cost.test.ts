/**
 * `$regex` is charged what it costs: RE2 runs in time linear in the input, but the constant is the
 * compiled program's size, and 461 characters of counted repeats compile to ~27,000 instructions
 * (8.8 s for one 16 KiB string before this). So a pattern's program has a ceiling (400 when it is
 * written, refused where it is met when it was stored before), and each evaluation draws program
 * size × input length, plus its compile, from the filter budget before it runs.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FILTER_BUDGET_PER_FILTER, FilterBudget, matchesFilter, validateFilter } from "../../src/delivery/filter";
import { compileRegex, MAX_REGEX_PROGRAM, regexUnits } from "../../src/delivery/linear-regex";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { received, receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";

/** A pattern of 27 alternatives of a 1,000-count repeat, 458 characters. */
const HUGE = Array.from({ length: 27 }, (_, i) => `[a-${String.fromCharCode(99 + (i % 20))}]{1000}[0-9]`).join("|");
/** Legal (~100 instructions), and too dear for a 16 KiB string: ~1.7 million units against 262,144. */
const DEAR = "[a-c]{100}[0-9]";
/** A 16 KiB string both patterns would match if they ran. */
const LONG = `${"a".repeat(16 * 1024 - 1)}0`;
const event = (s: string) => ({ type: "a.b", channels: [], data: { s } });

describe("$regex cost accounting", () => {
  it("refuses a pattern whose program is over the ceiling, naming its size", () => {
    expect(HUGE.length).toBeLessThanOrEqual(500);
    const refused = validateFilter({ "data.s": { $regex: HUGE } });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.issues[0]!.message).toMatch(new RegExp(`at most ${MAX_REGEX_PROGRAM} instructions`));
    expect(typeof compileRegex(HUGE)).toBe("string");
    // Under the ceiling it compiles.
    const dear = compileRegex(DEAR);
    expect(typeof dear).not.toBe("string");
    expect((dear as Exclude<typeof dear, string>).programSize()).toBeLessThanOrEqual(MAX_REGEX_PROGRAM);
  });

  it("charges program size × (input length + 1) plus the compile, before running", () => {
    const re = compileRegex(DEAR) as Exclude<ReturnType<typeof compileRegex>, string>;
    const size = re.programSize();
    expect(regexUnits(re, LONG.length)).toBeGreaterThanOrEqual(size * (LONG.length + 1));
    // 16 KiB through ~900 instructions is far past one filter's budget: refused without running.
    const budget = new FilterBudget();
    expect(matchesFilter({ "data.s": { $regex: DEAR } }, event(LONG), budget)).toBe(false);
    expect(budget.exhausted).toBe(true);
    // The same pattern on a string it can afford runs, and pays exactly its units (+1 per condition).
    const short = `${"a".repeat(100)}0`;
    expect(regexUnits(re, short.length)).toBeLessThan(FILTER_BUDGET_PER_FILTER);
    const fresh = new FilterBudget();
    expect(matchesFilter({ "data.s": { $regex: DEAR } }, event(short), fresh)).toBe(true);
    expect(fresh.exhausted).toBe(false);
    expect(fresh.spent).toBe(1 + regexUnits(re, short.length));
  });
});

describe("$regex cost at the edges of the service", () => {
  it("answers 400 at create and update for a pattern over the ceiling", async () => {
    const tenant = await createTenant();
    const created = await api("POST", `/v1/tenants/${tenant}/endpoints`, {
      body: { url: receiverUrl("/x"), filter: { "data.s": { $regex: HUGE } } },
    });
    expect(created.status).toBe(400);
    expect(created.body.error.issues[0].path).toBe("filter.data.s.$regex");
    expect(created.body.error.issues[0].message).toMatch(/instructions/);
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x") });
    expect(
      (
        await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
          body: { filter: { "data.s": { $regex: HUGE } } },
        })
      ).status,
    ).toBe(400);
  });

  it("test-filter with a read-only key: a stored over-ceiling pattern is a 400, a dear one does not run on 16 KiB", async () => {
    const tenant = await createTenant();
    const key = (await api("POST", "/v1/api-keys", { body: { name: "ro", scopes: ["read"], tenant_id: tenant } })).body
      .key as string;
    const huge = await createEndpoint(tenant, { url: receiverUrl("/x"), filter: { "data.s": { $regex: "^a" } } });
    await env.DB.prepare("UPDATE endpoints SET filter = ? WHERE id = ?")
      .bind(JSON.stringify({ "data.s": { $regex: HUGE } }), huge.id)
      .run();
    const refused = await api("POST", `/v1/tenants/${tenant}/endpoints/${huge.id}/test-filter`, {
      key,
      body: { data: { s: LONG } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toBe("filter.data.s.$regex");

    const dear = await createEndpoint(tenant, { url: receiverUrl("/x"), filter: { "data.s": { $regex: DEAR } } });
    const long = await api("POST", `/v1/tenants/${tenant}/endpoints/${dear.id}/test-filter`, {
      key,
      body: { data: { s: LONG } },
    });
    expect(long.status).toBe(200);
    expect(long.body.filter_matches).toBe(false);
    const short = await api("POST", `/v1/tenants/${tenant}/endpoints/${dear.id}/test-filter`, {
      key,
      body: { data: { s: `${"b".repeat(100)}7` } },
    });
    expect(short.body.filter_matches).toBe(true);
  });

  it("fan-out: neither a stored over-ceiling pattern nor a dear one runs on 16 KiB; the tenant's other endpoint gets the event", async () => {
    const tenant = await createTenant();
    const hugePath = uniquePath("/huge");
    const dearPath = uniquePath("/dear");
    const okPath = uniquePath("/ok");
    const huge = await createEndpoint(tenant, { url: receiverUrl(hugePath), filter: { "data.s": { $regex: "^a" } } });
    await env.DB.prepare("UPDATE endpoints SET filter = ? WHERE id = ?")
      .bind(JSON.stringify({ "data.s": { $regex: HUGE } }), huge.id)
      .run();
    await createEndpoint(tenant, { url: receiverUrl(dearPath), filter: { "data.s": { $regex: DEAR } } });
    await createEndpoint(tenant, { url: receiverUrl(okPath) });
    const sent = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: "a.b", data: { s: LONG } } });
    expect(sent.status).toBe(202);
    await waitForReceived(okPath, 1);
    const [rows] = await logRows<{ n: number }>(
      tenant,
      "SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ?",
      sent.body.id,
    );
    expect(rows!.n).toBe(1);
    expect(await received(hugePath)).toHaveLength(0);
    expect(await received(dearPath)).toHaveLength(0);
  });
});
