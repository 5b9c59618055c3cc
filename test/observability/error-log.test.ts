/**
 * A failed query is logged by the error's name and its SQL statement, never with the values bound
 * to it: Drizzle's message ("Failed query: ... params: ...") carries payloads, URLs that may hold
 * tokens and metadata. The real error handler, a real D1 failure (a duplicate primary key).
 */

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { getDb } from "../../src/db/client";
import { tenants } from "../../src/db/schema";
import { createTenant } from "../helpers/api";

const SECRET = "https://hooks.example/callback?token=tok_s3cr3t_in_a_url";

/** A real DrizzleQueryError: inserting a tenant whose id exists, with a secret among the values. */
async function failedQuery(): Promise<unknown> {
  const id = await createTenant();
  try {
    await getDb(env as Env)
      .insert(tenants)
      .values({ id, name: SECRET, metadata: { note: SECRET }, createdAt: 1, updatedAt: 1 });
  } catch (err) {
    return err;
  }
  throw new Error("the insert did not fail");
}

function captureLogs() {
  const lines: string[] = [];
  for (const level of ["error", "warn", "log"] as const)
    vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(String(line)));
  return lines;
}

describe("failed queries in the logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("the API's error handler logs the error's name and the statement, not the bound values", async () => {
    const thrown = await failedQuery();
    expect(String(thrown)).toContain(SECRET); // what Drizzle's message would have leaked
    const app = createApp();
    app.get("/boom", () => {
      throw thrown;
    });
    const lines = captureLogs();
    const res = await app.fetch(
      new Request("http://edgehooks.test/boom"),
      { ...(env as Env), LOG_LEVEL: "info" },
      createExecutionContext(),
    );
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("internal error");
    const logged = lines.join("\n");
    expect(logged).not.toContain("tok_s3cr3t");
    const line = JSON.parse(lines.find((l) => l.includes("unhandled error"))!);
    expect(line.error).toBe("DrizzleQueryError");
    expect(line.statement).toMatch(/^insert into "tenants"/);
  });
});
