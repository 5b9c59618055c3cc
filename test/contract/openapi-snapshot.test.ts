/**
 * The SDK's types are generated from sdk/openapi.json (openapi-typescript, at build time), and the
 * typecheck of the SDK and of test/contract/every-route.test.ts runs against them. This test keeps
 * that file equal to what the service serves, so a schema change without a regenerated client
 * fails the run. Refresh it with `npm run openapi:snapshot`.
 */
import { describe, expect, it } from "vitest";
import { api } from "../helpers/api";

describe("sdk/openapi.json", () => {
  it("is the document GET /openapi.json serves", async () => {
    const res = await api("GET", "/openapi.json", { key: null });
    expect(res.status).toBe(200);
    await expect(`${JSON.stringify(res.body, null, 2)}\n`).toMatchFileSnapshot("../../sdk/openapi.json");
  });
});
