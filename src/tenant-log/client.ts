/**
 * How callers reach a tenant's log: by RPC on its TenantLog segments (./segments.ts), named here
 * and nowhere else. Nothing outside src/tenant-log touches their storage.
 */
import { changesByTenant, type DeliveryChange } from "../attempts/record";
import { OPERATOR_TENANT } from "../domain/operational";
import { chunk } from "../lib/chunk";
import { ANALYTICS_POINTS_PER_INVOCATION } from "../lib/platform-limits";
import { parseSegmentName, segmentName, segmentOfId, shardOfId } from "./segments";
import type { TenantLog } from "./tenant-log";

/**
 * One TenantLog object by its name: a tenant's first segment (the bare tenant id), an operator
 * log, or the object a sweep message names. A tenant's whole log is reached through ./log-segments.ts.
 */
export function tenantLogFor(env: Env, tenantId: string): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(tenantId);
}

/** The segment shard of log `logName` (a tenant id, an operator log or a segment's own name) that holds the row with this id. */
export function logForId(env: Env, logName: string, id: string): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(segmentName(parseSegmentName(logName).logName, segmentOfId(id), shardOfId(id)));
}

/** The log an object name belongs to (a segment's name counts as its log's): what a fan-out message names. */
export const logNameOf = (name: string) => parseSegmentName(name).logName;

/** Shard `shard` of segment `n` of a log (shard 0: the segment's own object). */
export function logSegment(env: Env, logName: string, n: number, shard = 0): DurableObjectStub<TenantLog> {
  return env.TENANT_LOG.getByName(segmentName(logName, n, shard));
}

/**
 * Groups ids (or rows) by the object their id names (segment and shard, keyed `<n>~<j>`): one
 * call per object. Reach a group's object with logForId and any of its ids.
 */
export function bySegment<T>(items: T[], idOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const id = idOf(item);
    const n = `${segmentOfId(id)}~${shardOfId(id)}`;
    const list = out.get(n);
    if (list) list.push(item);
    else out.set(n, [item]);
  }
  return out;
}

const OPERATOR_LOG_PREFIX = `${OPERATOR_TENANT}/`;

/**
 * Where the operator's copies of the operational events about one tenant live, with their
 * deliveries to the operator's endpoints and their attempts: a log of their own per tenant, so no
 * single object receives every tenant's operational traffic, and none of it shows in the tenant's
 * own log. No tenant id has a `/`, so the name is never a tenant's.
 */
export const operatorLogName = (tenantId: string) => `${OPERATOR_LOG_PREFIX}${tenantId}`;

/** Whose endpoints a log's events go to (a segment's name counts as its log's): an operator log's go to the operator's. */
export function endpointOwnerOf(name: string): string {
  const logName = parseSegmentName(name).logName;
  return logName.startsWith(OPERATOR_LOG_PREFIX) ? OPERATOR_TENANT : logName;
}

/**
 * Changes one record() call carries. Each call is one invocation of the TenantLog, which writes an
 * Analytics Engine point per new attempt, and the platform drops every point past 250 per
 * invocation without an error: a catch-up flush of 1,000 outcomes in one call lost 750. The rest
 * go in the next call. 250 attempts with 16 KiB excerpts are ~5 MiB, far under the 32 MiB RPC cap.
 */
export const CHANGES_PER_RECORD_CALL = ANALYTICS_POINTS_PER_INVOCATION;

/**
 * Records attempt outcomes and status changes in the segment shard each delivery names: calls of
 * at most CHANGES_PER_RECORD_CALL per object, in order.
 */
export async function recordChanges(env: Env, changes: DeliveryChange[], now: number) {
  if (!changes.length) return;
  await Promise.all(
    [...changesByTenant(changes)].flatMap(([tenantId, list]) =>
      [...bySegment(list, (ch) => ch.delivery.id)].map(async ([, part]) => {
        const log = logForId(env, tenantId, part[0]!.delivery.id);
        for (const calls of chunk(part, CHANGES_PER_RECORD_CALL)) await log.record(calls, now);
      }),
    ),
  );
}

export { STATS_ENDPOINTS_PER_CALL } from "./metrics-query";
export { HOURLY_ENDPOINTS_PER_CALL, SEGMENT_CLOSED, STALE_TENANT } from "./tenant-log";
