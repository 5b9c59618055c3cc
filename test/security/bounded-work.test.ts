/**
 * Bounded work per tenant (docs/contract.md "Security": no tenant can slow or stop another). A tenant whose
 * filters are catastrophic regexes and huge `$in` lists shares a queue batch with another tenant;
 * the other tenant's delivery must still arrive, and the poisoned batch must finish (acked).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import {
  eventFilterScope,
  FILTER_BUDGET_PER_EVENT,
  FilterBudget,
  MAX_REGEX_INPUT,
  matchesFilter,
  validateFilter,
} from "../../src/delivery/filter";
import { compileRegex, regexUnits } from "../../src/delivery/linear-regex";
import worker from "../../src/index";
import { api, createEndpoint, createTenant } from "../helpers/api";
import { receiverUrl, uniquePath, waitForReceived } from "../helpers/receiver";
import { logRows } from "../helpers/tenant-log";
import { CATASTROPHIC, EVIL_INPUT } from "../helpers/tenant-work";

describe("a poisoned tenant next to a healthy one", () => {
  it("catastrophic $regex filters and huge $in lists in one queue batch never hold back the other tenant", async () => {
    const poisoned = await createTenant();
    const healthy = await createTenant();
    const poisonedPath = uniquePath("/poison");
    for (const pattern of CATASTROPHIC) {
      await createEndpoint(poisoned, { url: receiverUrl(poisonedPath), filter: { "data.s": { $regex: pattern } } });
    }
    // 100 values against an array of 100,000 numbers: 10 million comparisons per endpoint today.
    const list = Array.from({ length: 100 }, (_, i) => -1 - i);
    for (let i = 0; i < 3; i++)
      await createEndpoint(poisoned, { url: receiverUrl(poisonedPath), filter: { "data.arr": { $in: list } } });
    const healthyPath = uniquePath("/ok");
    await createEndpoint(healthy, { url: receiverUrl(healthyPath) });

    const bad = await api("POST", `/v1/tenants/${poisoned}/events`, {
      body: { type: "a.b", data: { s: EVIL_INPUT, arr: Array.from({ length: 100_000 }, (_, i) => i) } },
    });
    expect(bad.status).toBe(202);
    const good = await api("POST", `/v1/tenants/${healthy}/events`, { body: { type: "a.b", data: { ok: true } } });
    expect(good.status).toBe(202);

    // The same two events again in one batch, as the shared consumer would see them.
    const batch = createMessageBatch("edgehooks-events", [
      {
        id: "p1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: poisoned, event_ids: [bad.body.id], origin: "" },
      },
      {
        id: "h1",
        timestamp: new Date(),
        attempts: 1,
        body: { v: 2, kind: "fanout", tenant_id: healthy, event_ids: [good.body.id], origin: "" },
      },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["h1", "p1"]);
    expect(result.retryMessages).toEqual([]);

    const got = await waitForReceived(healthyPath, 1);
    expect(got[0]!.headers["webhook-id"]).toBe(good.body.id);
    // None of the poisoned filters matches: the regexes fail on the "!" and no value is in the list.
    const [rows] = await logRows<{ n: number }>(
      poisoned,
      "SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ?",
      bad.body.id,
    );
    expect(rows!.n).toBe(0);
  });
});

describe("test-filter", () => {
  it("refuses with 400 a stored filter the linear-time engine cannot run (written before the switch)", async () => {
    const tenant = await createTenant();
    const ep = await createEndpoint(tenant, { url: receiverUrl("/x"), filter: { "data.s": { $regex: "^a" } } });
    await env.DB.prepare("UPDATE endpoints SET filter = ? WHERE id = ?")
      .bind(JSON.stringify({ "data.s": { $regex: "(a)\\1" } }), ep.id)
      .run();
    const res = await api("POST", `/v1/tenants/${tenant}/endpoints/${ep.id}/test-filter`, {
      body: { data: { s: "aa" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe("filter.data.s.$regex");
    // A new pattern RE2 refuses is a 400 at update, too.
    expect(
      (
        await api("PATCH", `/v1/tenants/${tenant}/endpoints/${ep.id}`, {
          body: { filter: { "data.s": { $regex: "a(?=b)" } } },
        })
      ).status,
    ).toBe(400);
  });
});

describe("the filter core's bounds", () => {
  const event = (data: unknown) => ({ type: "a.b", channels: [], data });

  it("accepts the catastrophic patterns (RE2 runs them in linear time) and answers at once", () => {
    for (const pattern of CATASTROPHIC) {
      expect(validateFilter({ "data.s": { $regex: pattern } }).ok).toBe(true);
      expect(matchesFilter({ "data.s": { $regex: pattern } }, event({ s: EVIL_INPUT }))).toBe(false);
      expect(matchesFilter({ "data.s": { $regex: pattern } }, event({ s: "a".repeat(40) }))).toBe(true);
    }
  });

  it("a string longer than MAX_REGEX_INPUT never matches a $regex", () => {
    expect(matchesFilter({ "data.s": { $regex: "a" } }, event({ s: "a".repeat(MAX_REGEX_INPUT) }))).toBe(true);
    expect(matchesFilter({ "data.s": { $regex: "a" } }, event({ s: "a".repeat(MAX_REGEX_INPUT + 1) }))).toBe(false);
  });

  it("a filter that runs out of budget does not match, and the budget says so", () => {
    // Objects in the list: no Set lookup, every pair is compared.
    const filter = { "data.arr": { $in: Array.from({ length: 100 }, (_, i) => ({ n: -i })) } };
    const budget = new FilterBudget();
    expect(
      matchesFilter(filter, event({ arr: Array.from({ length: 100_000 }, (_, i) => ({ n: i + 1 })) }), budget),
    ).toBe(false);
    expect(budget.exhausted).toBe(true);
    // A small array under the same filter is well within budget and matches.
    const fresh = new FilterBudget();
    expect(matchesFilter(filter, event({ arr: [{ n: 5 }, { n: -3 }] }), fresh)).toBe(true);
    expect(fresh.exhausted).toBe(false);
  });

  it("a list of plain values is a set lookup: 100 values against 100,000 elements stays in budget", () => {
    const filter = { "data.arr": { $in: Array.from({ length: 100 }, (_, i) => -1 - i) } };
    const budget = new FilterBudget();
    const arr = Array.from({ length: 100_000 }, (_, i) => i);
    expect(matchesFilter(filter, event({ arr }), budget)).toBe(false);
    expect(budget.exhausted).toBe(false);
    expect(matchesFilter(filter, event({ arr: [...arr, -50] }), new FilterBudget())).toBe(true);
  });

  it("one event's filters share a budget: once spent, the rest of its endpoints do not match", () => {
    const scope = eventFilterScope("a.b", [], JSON.stringify({ s: "x".repeat(10_000) }));
    const filter = { "data.s": { $regex: "x" } };
    const answers = Array.from({ length: 40 }, () => matchesFilter(filter, () => scope.event, scope.budget));
    // 1,000,000 units at 1 + regexUnits (program size × 10,001 + compile) per filter: the first
    // `fit` match, the rest are refused.
    const fit = Math.floor(FILTER_BUDGET_PER_EVENT / (1 + regexUnits(compileRegex("x") as RE2JS, 10_000)));
    expect(fit).toBeGreaterThan(1);
    expect(fit).toBeLessThan(40);
    expect(answers.filter(Boolean).length).toBe(fit);
    expect(answers.slice(fit).every((a) => a === false)).toBe(true);
    expect(scope.budget.exhausted).toBe(true);
  });

  it("the payload is parsed once per event, not once per endpoint", () => {
    const scope = eventFilterScope("a.b", [], JSON.stringify({ n: 1 }));
    const first = scope.event;
    expect(scope.event).toBe(first);
    expect(matchesFilter({ "data.n": 1 }, () => scope.event, scope.budget)).toBe(true);
    expect(scope.event).toBe(first);
  });

  it("a payload that does not parse matches no filter and throws nothing", () => {
    const scope = eventFilterScope("a.b", [], "{not json");
    expect(matchesFilter({ "data.n": 1 }, () => scope.event, scope.budget)).toBe(false);
  });
});
