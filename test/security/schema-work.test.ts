/**
 * Event-type schemas cost bounded work (docs/contract.md "Security"): their patterns run on RE2 (linear
 * time), each schema is compiled once per version, and schemas whose cost cannot be bounded
 * (quadratic uniqueItems, patternProperties on a backtracking engine, RE2-less syntax) are
 * refused with 400 at create and update.
 */
import { describe, expect, it } from "vitest";
import { compiledSchema } from "../../src/services/event-types";
import { api, createTenant } from "../helpers/api";
import { CATASTROPHIC, EVIL_INPUT } from "../helpers/tenant-work";

let n = 0;
const typeName = () => `sch${Date.now().toString(36)}${n++}.done`;

describe("event-type schemas with bounded cost", () => {
  it.each([
    [
      "a backreference",
      { type: "object", properties: { s: { type: "string", pattern: "(a)\\1" } } },
      "schema.properties.s.pattern",
    ],
    ["a lookahead", { type: "string", pattern: "a(?=b)" }, "schema.pattern"],
    ["uniqueItems without maxItems", { type: "array", uniqueItems: true }, "schema.uniqueItems"],
    ["uniqueItems over too many items", { type: "array", uniqueItems: true, maxItems: 100_000 }, "schema.uniqueItems"],
    [
      "patternProperties",
      { type: "object", patternProperties: { "^x": { type: "string" } } },
      "schema.patternProperties",
    ],
    ["too many patterns", { anyOf: Array.from({ length: 11 }, (_, i) => ({ pattern: `^p${i}` })) }, "schema"],
  ])("refuses %s with 400 at create and update", async (_what, schema, path) => {
    const name = typeName();
    const res = await api("POST", "/v1/event-types", { body: { name, schema } });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect((await api("POST", "/v1/event-types", { body: { name } })).status).toBe(201);
    const patch = await api("PATCH", `/v1/event-types/${name}`, { body: { schema } });
    expect(patch.status).toBe(400);
    expect(patch.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("catastrophic patterns run in linear time at ingest: 422 for the evil input, 202 for a good one", async () => {
    const tenant = await createTenant();
    for (const pattern of CATASTROPHIC) {
      const name = typeName();
      const schema = { type: "object", properties: { s: { type: "string", pattern } }, required: ["s"] };
      expect((await api("POST", "/v1/event-types", { body: { name, schema } })).status).toBe(201);
      const bad = await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: { s: EVIL_INPUT } } });
      expect(bad.status).toBe(422);
      expect(bad.body.error.issues).toContainEqual({
        path: "data.s",
        message: `String does not match pattern "${pattern}".`,
      });
      const good = await api("POST", `/v1/tenants/${tenant}/events`, {
        body: { type: name, data: { s: "a".repeat(40) } },
      });
      expect(good.status).toBe(202);
    }
  });

  it("a pattern next to a format keeps both checks", async () => {
    const tenant = await createTenant();
    const name = typeName();
    const schema = { type: "object", properties: { d: { type: "string", format: "date", pattern: "^2026-" } } };
    expect((await api("POST", "/v1/event-types", { body: { name, schema } })).status).toBe(201);
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: { d: "2026-01-02" } } })).status,
    ).toBe(202);
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: { d: "2025-01-02" } } })).status,
    ).toBe(422);
    expect(
      (await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: { d: "2026-99" } } })).status,
    ).toBe(422);
  });

  it("a bounded uniqueItems is accepted and enforced", async () => {
    const tenant = await createTenant();
    const name = typeName();
    expect(
      (
        await api("POST", "/v1/event-types", {
          body: { name, schema: { type: "array", uniqueItems: true, maxItems: 50 } },
        })
      ).status,
    ).toBe(201);
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: [1, 2, 3] } })).status).toBe(
      202,
    );
    expect((await api("POST", `/v1/tenants/${tenant}/events`, { body: { type: name, data: [1, 2, 2] } })).status).toBe(
      422,
    );
    // maxItems is checked too, so the quadratic check never sees more than 50 items.
    expect(
      (
        await api("POST", `/v1/tenants/${tenant}/events`, {
          body: { type: name, data: Array.from({ length: 51 }, (_, i) => i) },
        })
      ).status,
    ).toBe(422);
  });

  it("each schema is compiled once per version", () => {
    const schema = { type: "object", properties: { s: { type: "string", pattern: "^a+$" } } };
    const first = compiledSchema("x.once", 1, schema);
    expect(compiledSchema("x.once", 1, schema)).toBe(first);
    expect(compiledSchema("x.once", 2, schema)).not.toBe(first);
    // The stored schema is not changed by compiling it.
    expect(schema.properties.s).toEqual({ type: "string", pattern: "^a+$" });
  });
});
