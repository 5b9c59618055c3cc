/** Payload filters: every operator, paths, arrays, missing fields, logic, validation. */
import { describe, expect, it } from "vitest";
import { matchesFilter, validateFilter } from "../../src/delivery/filter";

const event = {
  type: "invoice.paid",
  channels: ["eu", "parser_1"],
  data: {
    total_amount: 1500,
    currency: "EUR",
    paid_at: "2026-11-22T10:00:00Z",
    customer: { tier: "pro", email: "Ada@Example.com", tags: ["vip", "beta"] },
    items: [
      { sku: "A-1", qty: 2 },
      { sku: "B-2", qty: 1 },
    ],
    refunded: false,
    note: null,
  },
};

describe("matchesFilter", () => {
  it.each([
    // [filter, expected]
    [{}, true],
    [{ "data.currency": "EUR" }, true],
    [{ "data.currency": "USD" }, false],
    [{ "data.total_amount": { $eq: 1500 } }, true],
    [{ "data.total_amount": { $eq: "1500" } }, false],
    [{ "data.total_amount": { $neq: 1500 } }, false],
    [{ "data.total_amount": { $neq: 1 } }, true],
    [{ "data.total_amount": { $gt: 1000 } }, true],
    [{ "data.total_amount": { $gt: 1500 } }, false],
    [{ "data.total_amount": { $gte: 1500 } }, true],
    [{ "data.total_amount": { $lt: 1500 } }, false],
    [{ "data.total_amount": { $lte: 1500 } }, true],
    [{ "data.total_amount": { $gte: 1000, $lt: 2000 } }, true],
    [{ "data.total_amount": { $gte: 1000, $lt: 1200 } }, false],
    [{ "data.total_amount": { $gt: "1000" } }, false], // type mismatch is false
    [{ "data.paid_at": { $gte: "2026-11-01T00:00:00Z" } }, true],
    [{ "data.paid_at": { $lt: "2026-11-01T00:00:00Z" } }, false],
    [{ "data.currency": { $in: ["EUR", "GBP"] } }, true],
    [{ "data.currency": { $in: ["USD"] } }, false],
    [{ "data.currency": { $nin: ["USD"] } }, true],
    [{ "data.currency": { $nin: ["EUR"] } }, false],
    [{ "data.note": { $exists: true } }, true], // null is present
    [{ "data.nothing": { $exists: false } }, true],
    [{ "data.nothing": { $exists: true } }, false],
    [{ "data.customer.email": { $regex: "@example\\.com$" } }, false],
    [{ "data.customer.email": { $regex: "@example\\.com$", $options: "i" } }, true],
    [{ "data.total_amount": { $regex: "15" } }, false], // regex on a number is false
    // nested paths and arrays
    [{ "data.customer.tier": "pro" }, true],
    [{ "data.items.0.sku": "A-1" }, true],
    [{ "data.items.1.qty": { $gt: 1 } }, false],
    [{ "data.items.5.sku": { $exists: false } }, true],
    [{ "data.customer.tags": "vip" }, true], // any element equals
    [{ "data.customer.tags": { $neq: "vip" } }, false],
    [{ "data.customer.tags": { $in: ["beta", "x"] } }, true],
    [{ "data.customer.tags": { $nin: ["beta"] } }, false],
    [{ "data.customer.tags": ["vip", "beta"] }, true], // whole-array equality
    [{ "data.items.0": { sku: "A-1", qty: 2 } }, true], // deep object equality
    [{ "data.items.0": { sku: "A-1" } }, false],
    // missing fields
    [{ "data.missing": 1 }, false],
    [{ "data.missing": { $neq: 1 } }, true],
    [{ "data.missing": { $gt: 0 } }, false],
    [{ "data.missing": { $in: [1] } }, false],
    [{ "data.missing": { $nin: [1] } }, true],
    [{ "data.missing": { $regex: "." } }, false],
    [{ "data.customer.missing.deeper": { $exists: false } }, true],
    // type and channels
    [{ type: "invoice.paid" }, true],
    [{ type: { $regex: "^invoice\\." } }, true],
    [{ channels: "eu" }, true],
    [{ channels: { $in: ["us"] } }, false],
    // logic
    [{ $and: [{ "data.currency": "EUR" }, { "data.total_amount": { $gt: 1000 } }] }, true],
    [{ $and: [{ "data.currency": "EUR" }, { "data.total_amount": { $gt: 9000 } }] }, false],
    [{ $or: [{ "data.currency": "USD" }, { "data.customer.tier": "pro" }] }, true],
    [{ $or: [{ "data.currency": "USD" }, { "data.customer.tier": "free" }] }, false],
    [{ $not: { "data.refunded": true } }, true],
    [{ $not: { "data.refunded": false } }, false],
    [
      { $or: [{ $and: [{ "data.currency": "EUR" }, { $not: { "data.customer.tier": "free" } }] }, { type: "x" }] },
      true,
    ],
  ])("%j → %s", (filter, expected) => {
    expect(validateFilter(filter).ok).toBe(true);
    expect(matchesFilter(filter, event)).toBe(expected);
  });

  it("never throws on odd events", () => {
    for (const data of [null, 1, "s", [], [1, 2], { a: { b: null } }]) {
      expect(() => matchesFilter({ "data.a.b": { $gt: 1 } }, { type: "t", channels: [], data })).not.toThrow();
    }
  });
});

describe("validateFilter", () => {
  it.each([
    ["not an object", [], ""],
    ["unknown operator", { "data.x": { $between: [1, 2] } }, "data.x.$between"],
    ["unknown top-level operator", { $xor: [] }, "$xor"],
    ["$in not an array", { "data.x": { $in: 1 } }, "data.x.$in"],
    ["$nin too long", { "data.x": { $nin: Array(101).fill(1) } }, "data.x.$nin"],
    ["$and empty", { $and: [] }, "$and"],
    ["$or not an array", { $or: {} }, "$or"],
    ["$or item not an object", { $or: [{ "data.a": 1 }, 3] }, "$or.1"],
    ["$not not an object", { $not: 1 }, "$not"],
    ["$exists not boolean", { "data.x": { $exists: "yes" } }, "data.x.$exists"],
    ["$gt with an object", { "data.x": { $gt: { a: 1 } } }, "data.x.$gt"],
    ["bad regex", { "data.x": { $regex: "(" } }, "data.x.$regex"],
    ["backreference (no linear-time engine runs it)", { "data.x": { $regex: "(a)\\1" } }, "data.x.$regex"],
    ["lookahead (RE2 has none)", { "data.x": { $regex: "a(?=b)" } }, "data.x.$regex"],
    ["lookbehind (RE2 has none)", { "data.x": { $regex: "(?<!a)b" } }, "data.x.$regex"],
    ["regex too long", { "data.x": { $regex: "a".repeat(501) } }, "data.x.$regex"],
    ["bad regex options", { "data.x": { $regex: "a", $options: "g" } }, "data.x.$options"],
    ["$options alone", { "data.x": { $options: "i" } }, "data.x.$options"],
    ["empty path segment", { "data..x": 1 }, "data..x"],
    ["too deep", JSON.parse("{" + '"$not":{'.repeat(12) + '"a":1' + "}".repeat(13)), "$not"],
    ["deep error path", { $or: [{ "data.a": 1 }, { "data.total": { $gt: [] } }] }, "$or.1.data.total.$gt"],
  ])("refuses %s", (_name, filter, path) => {
    const result = validateFilter(filter);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path).some((p) => p.startsWith(path))).toBe(true);
  });

  it("refuses more than 100 conditions", () => {
    const filter = { $and: Array.from({ length: 101 }, (_, i) => ({ [`data.f${i}`]: i })) };
    expect(validateFilter(filter).ok).toBe(false);
  });
});
