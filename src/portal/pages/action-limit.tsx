/** @jsxImportSource hono/jsx */
/**
 * How a portal page shows a verb's "limited" outcome (src/services/tenant-action-limit.ts): a notice
 * on the page the button was pressed on, answered 429 with Retry-After, never an error page. The
 * budget is the tenant's, shared with its API calls, so the notice says so.
 */
import type { Context } from "hono";
import { type TenantAction, TenantActionLimited } from "../../services/tenant-action-limit";
import { Notice } from "./layout";

const WHAT: Record<TenantAction, string> = {
  test: "test events were sent",
  "test-url": "test requests were sent",
  "test-filter": "filter tests were run",
  retry: "deliveries were retried",
  resend: "events were resent",
  recover: "recoveries were started",
  replay: "replays were planned or started",
};

export function limitedText(err: TenantActionLimited): string {
  return `Too many ${WHAT[err.action]} for this account in the last minute (this portal and the API share one limit). Try again in ${err.retryAfterS} seconds.`;
}

/** The notice for a limited verb (and the Retry-After header on the answer), or null for any other error. */
export function limitedNotice(c: Context<any, any>, err: unknown) {
  if (!(err instanceof TenantActionLimited)) return null;
  c.header("retry-after", String(err.retryAfterS));
  return <Notice kind="bad">{limitedText(err)}</Notice>;
}
