/**
 * Test a URL before it is an endpoint (DocExtract's "test webhook" button): one signed attempt
 * with the same destination checks as an endpoint (SSRF, https unless the tenant is a sandbox),
 * answered synchronously with the secret it signed with. Nothing is stored: there is no
 * endpoint to log it under. Rate-limited per tenant here, so the API and the portal share one budget.
 */
import { newId } from "../db/ids";
import type { ServiceCtx } from "./context";
import { sendAttempt } from "../attempts/send-attempt";
import { deploymentDefaults } from "../attempts/deployment-defaults";
import { assertDestination, DEFAULT_TIMEOUT_MS } from "./endpoints";
import { defaultTestData, TEST_EVENT_TYPE } from "./endpoints-test";
import { exampleOf } from "./event-types";
import { generateSecret } from "../delivery/secret";
import { assertOwnSecret } from "./own-secret";
import { tenantEnvironment } from "./tenants";
import type { TestUrl } from "./endpoint-input";
import { limitTenantAction } from "./tenant-action-limit";

export async function testUrl(ctx: ServiceCtx, tenantId: string, input: TestUrl) {
  await limitTenantAction(ctx.env, tenantId, "test-url");
  const environment = await tenantEnvironment(ctx.db, tenantId);
  const url = assertDestination(ctx, input.url, environment);
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
