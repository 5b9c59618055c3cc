/**
 * Test a URL before it is an endpoint (DocExtract's "test webhook" button): one signed attempt
 * with the same destination checks as an endpoint (SSRF, https unless the tenant is a sandbox),
 * answered synchronously with the secret it signed with. Nothing is stored: there is no
 * endpoint to log it under. Rate-limited per tenant here, so the API and the portal share one budget.
 */

import { deploymentDefaults } from "../attempts/deployment-defaults";
import { sendAttempt } from "../attempts/send-attempt";
import { newId } from "../db/ids";
import { generateSecret } from "../delivery/secret";
import { ApiError } from "../errors";
import type { ServiceCtx } from "./context";
import type { TestUrl } from "./endpoint-input";
import { assertDestination, DEFAULT_TIMEOUT_MS } from "./endpoints";
import { defaultTestData, TEST_EVENT_TYPE } from "./endpoints-test";
import { exampleOf } from "./event-types";
import { assertOwnSecret } from "./own-secret";
import { limitTenantAction } from "./tenant-action-limit";
import { tenantEnvironment } from "./tenants";

/**
 * The web's ports. test-url sends to a URL nobody has saved and answers the response excerpt, so
 * on any other port it would be a probe of internal or third-party services (ssh, redis, admin
 * panels) with its answer shown. Endpoints keep any port: they are saved, owned and logged.
 * ALLOW_PRIVATE_URLS (local development) lifts it, for receivers on a random local port.
 */
export const TEST_URL_PORTS = [443, 80, 8443];

function assertTestUrlPort(ctx: ServiceCtx, url: string) {
  if (ctx.config.allowPrivate) return;
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  if (!TEST_URL_PORTS.includes(port)) {
    throw new ApiError("bad_request", "destination URL is not allowed", [
      { path: "url", message: `test-url reaches ports ${TEST_URL_PORTS.join(", ")} only (this URL's port is ${port})` },
    ]);
  }
}

export async function testUrl(ctx: ServiceCtx, tenantId: string, input: TestUrl) {
  await limitTenantAction(ctx.env, tenantId, "test-url");
  const environment = await tenantEnvironment(ctx.db, tenantId);
  const url = assertDestination(ctx, input.url, environment);
  assertTestUrlPort(ctx, url);
  const defaults = deploymentDefaults(ctx.env);
  const signature = input.signature ?? defaults.signature;
  if (input.secret !== undefined) assertOwnSecret(input.secret, signature);
  const secret = input.secret ?? generateSecret();
  const now = Date.now();
  const type = input.event_type ?? TEST_EVENT_TYPE;
  const example = input.data === undefined ? await exampleOf(ctx, type) : undefined;
  const data = input.data !== undefined ? input.data : (example ?? defaultTestData(now));
  const eventId = newId("evt", now);
  const result = await sendAttempt({
    endpoint: {
      id: "",
      tenantId,
      url,
      secrets: [secret],
      headerSecret: secret,
      sandbox: environment === "sandbox",
      headers: input.headers ?? {},
      auth: input.auth ?? null,
      signature,
      envelope: input.envelope ?? "standard",
      retryPolicy: defaults.retryPolicy,
      timeoutMs: input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    },
    event: { id: eventId, type, createdAt: now, payload: JSON.stringify(data) },
    number: 1,
    trigger: "test",
    config: ctx.config,
    now: () => Date.now(),
  });
  return { result, eventId, secret };
}
