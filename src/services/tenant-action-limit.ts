/**
 * Per-tenant rate limits on the actions that make Edgehooks send or re-send on demand: `test`,
 * `test-url`, `retry`, `resend`, `recover`, `replay` (dry run or not: a plan scans the log too) (docs/contract.md "Security"), and on `test-filter`, which sends
 * nothing but lets any key (read-only included) spend a filter's budget on demand. One Workers Rate Limiting binding
 * (TENANT_ACTION_LIMITER in wrangler.toml, 60 per 60 s) counts each tenant and action apart, so a
 * tenant hammering the test button neither exhausts another tenant's budget nor its own retries.
 * Without the binding there is no limit (as with INGEST_LIMITER).
 *
 * The verbs count themselves (services/endpoints-test, deliveries/actions, events/resend,
 * recover, replays, test-url, endpoint-filter-test), so every caller, API route or portal button, draws on the same budget.
 * Over it they throw TenantActionLimited: the API answers it as 429 in the envelope, the
 * portal as a page that says so.
 */
import { ApiError } from "../errors";

export type TenantAction = "test" | "test-url" | "test-filter" | "retry" | "resend" | "recover" | "replay";

/** The period of TENANT_ACTION_LIMITER in wrangler.toml (the binding allows 10 or 60). */
const TENANT_ACTION_PERIOD_S = 60;

/** A verb's "limited" outcome: 429 `rate_limited` with Retry-After, and which action it was. */
export class TenantActionLimited extends ApiError {
  readonly retryAfterS = TENANT_ACTION_PERIOD_S;
  constructor(readonly action: TenantAction) {
    super("rate_limited", `too many '${action}' calls for this tenant; retry later`, undefined, {
      "retry-after": String(TENANT_ACTION_PERIOD_S),
    });
  }
}

/** Counts one `action` of `tenantId`; over the limit, throws TenantActionLimited. */
export async function limitTenantAction(
  env: Pick<Env, "TENANT_ACTION_LIMITER">,
  tenantId: string,
  action: TenantAction,
): Promise<void> {
  const limiter = env.TENANT_ACTION_LIMITER;
  if (!limiter) return;
  const { success } = await limiter.limit({ key: `${action}:${tenantId}` });
  if (!success) throw new TenantActionLimited(action);
}
