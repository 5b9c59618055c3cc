/**
 * How many endpoints of one tenant may send to one exact URL. Without a bound a tenant's 1,000
 * endpoints could all name one URL and turn each ingest into 1,000 deliveries to it (1 GiB for a
 * 1 MiB event). Sharing a host is normal (hooks.slack.com, hooks.zapier.com: one URL per hook),
 * sharing a URL is rare: a few endpoints with different filters or event types feeding one
 * receiver. The URL compared is the stored one, normalised by the destination check (host case,
 * default port, escapes). Disabled endpoints count, so enabling one never passes the bound. What
 * the bound cannot do: URLs that differ only in a query string are different URLs; the bytes one
 * ingest may fan out (src/services/events/fanout-quota.ts) bounds that case.
 */
import { and, eq, ne } from "drizzle-orm";
import { endpoints } from "../db/schema";
import { ApiError } from "../errors";
import type { ServiceCtx } from "./context";

/** Endpoints of one tenant that may share one exact URL (409 `conflict` past it). */
export const MAX_ENDPOINTS_PER_URL = 10;

/**
 * Refuses a create (or an update of `endpointId`) that would make more than MAX_ENDPOINTS_PER_URL
 * share `url`. Answers the ids of the endpoints already sending there (at most
 * MAX_ENDPOINTS_PER_URL rows read), so a create can warn that each event they both match will
 * arrive twice.
 */
export async function assertUrlShareQuota(
  ctx: ServiceCtx,
  tenantId: string,
  url: string,
  endpointId?: string,
): Promise<string[]> {
  const conds = [eq(endpoints.tenantId, tenantId), eq(endpoints.url, url)];
  if (endpointId) conds.push(ne(endpoints.id, endpointId));
  const rows = await ctx.db
    .select({ id: endpoints.id })
    .from(endpoints)
    .where(and(...conds))
    .limit(MAX_ENDPOINTS_PER_URL)
    .all();
  if (rows.length >= MAX_ENDPOINTS_PER_URL) {
    throw new ApiError(
      "conflict",
      `${MAX_ENDPOINTS_PER_URL} endpoints of this tenant already send to this exact URL (MAX_ENDPOINTS_PER_URL)`,
      [
        {
          path: "url",
          message: `at most ${MAX_ENDPOINTS_PER_URL} endpoints may share one URL; give this one its own (another path or query) or reuse one of them`,
        },
      ],
    );
  }
  return rows.map((r) => r.id);
}

/** What a create answers when other endpoints already send to its URL (it is allowed, and easy to do by mistake). */
interface UrlSharedWarning {
  code: "url_shared";
  message: string;
  endpoint_ids: string[];
}

export function urlSharedWarning(sharing: string[]): UrlSharedWarning[] {
  if (!sharing.length) return [];
  const others =
    sharing.length === 1 ? `endpoint ${sharing[0]} already sends` : `${sharing.length} endpoints already send`;
  return [
    {
      code: "url_shared",
      message: `${others} to this URL: an event both match is delivered once to each. Delete the extra endpoint if that was not meant.`,
      endpoint_ids: sharing,
    },
  ];
}
