/**
 * The bytes one ingest may fan out: the size of each event's data times the endpoints it would
 * go to, summed over the request. Without a bound, a 1 MiB ingest to a tenant's 1,000 endpoints
 * became 1 GiB of deliveries, all toward one host if the URLs differ only in a query string.
 *
 * A quota, not a pace: the request is refused (413 `payload_too_large`) before anything is
 * stored, so the producer learns at once and nothing is accepted that is then held back. It is
 * counted per request, so it never refuses what smaller requests can send: splitting a batch, or
 * narrowing endpoints with event types or channels, always fits; the per-key ingest rate limit
 * bounds how many requests come. At 256 MiB it lets a full 1 MiB body reach 256 endpoints, and an
 * event under 256 KiB reach all 1,000 a tenant may have; ordinary webhooks (KiBs, a handful of
 * endpoints per type) are thousands of times below it.
 *
 * The endpoints counted are those fan-out could pick: active, subscribed to the event's type and
 * sharing its channels. Filters are not run at ingest (that would be the fan-out's work twice),
 * so an endpoint whose filter would refuse the event still counts: the bound is an upper bound.
 */
import { and, eq } from "drizzle-orm";
import { endpoints } from "../../db/schema";
import { matchesChannels, matchesEventType } from "../../delivery/match";
import { ApiError } from "../../errors";
import type { ServiceCtx } from "../context";

/**
 * Bytes of data × receiving endpoints one ingest request may fan out (413 past it). Cloudflare caps
 * no outbound bytes; the bound is the service's own, against amplification: at most 256× the
 * 1 MiB body limit, where 1,000 endpoints made it 1,000×.
 */
export const MAX_FANOUT_BYTES_PER_INGEST = 256 * 1024 * 1024;

interface FanoutCandidate {
  type: string;
  channels: string[] | null;
  /** The event's data as stored (JSON text). */
  payload: string;
}

const utf8 = new TextEncoder();

/** Refuses an ingest whose events × the endpoints they would reach pass MAX_FANOUT_BYTES_PER_INGEST. */
export async function assertFanoutQuota(ctx: ServiceCtx, tenantId: string, events: FanoutCandidate[]) {
  // A UTF-16 unit is at most 3 bytes of UTF-8: when even every endpoint the tenant may have could
  // not reach the bound, the endpoints are not read (every ordinary ingest stops here).
  const most = events.reduce((n, e) => n + e.payload.length * 3, 0);
  if (most * ctx.config.maxEndpointsPerTenant <= MAX_FANOUT_BYTES_PER_INGEST) return;
  const active = await ctx.db
    .select({ eventTypes: endpoints.eventTypes, channels: endpoints.channels })
    .from(endpoints)
    .where(and(eq(endpoints.tenantId, tenantId), eq(endpoints.status, "active")))
    .all();
  let bytes = 0;
  let deliveries = 0;
  for (const e of events) {
    const reach = active.filter(
      (ep) => matchesEventType(ep.eventTypes, e.type) && matchesChannels(ep.channels, e.channels),
    ).length;
    bytes += utf8.encode(e.payload).length * reach;
    deliveries += reach;
  }
  if (bytes > MAX_FANOUT_BYTES_PER_INGEST) {
    throw new ApiError(
      "payload_too_large",
      `this request would fan out ${bytes} bytes (${deliveries} deliveries), past the ${MAX_FANOUT_BYTES_PER_INGEST / 1024 / 1024} MiB one ingest may fan out (MAX_FANOUT_BYTES_PER_INGEST); send fewer or smaller events per request, or narrow the endpoints' event types or channels`,
    );
  }
}
