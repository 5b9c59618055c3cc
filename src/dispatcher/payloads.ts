/**
 * Payloads a dispatcher was handed without (a fan-out page, a recover page or a sweeper re-hand
 * carries a payload only while the page has room: src/tenant-log/handoff-page.ts). Loaded from the
 * tenant's log just before the attempt, for the rows about to go out, in pages bounded in bytes, so
 * neither a hand-off nor this read is ever larger than the RPC cap whatever the payload sizes.
 */
import { bySegment, logForId } from "../tenant-log/client";
import type { PendingRow } from "./storage";

/** Stored in place of a payload the dispatcher loads by event id (a JSON payload is never empty). */
export const PAYLOAD_BY_ID = "";

/**
 * The rows with their payloads, and the rows whose event is gone (purged with retention, or the
 * tenant deleted): nothing can be sent for those. Throws if the log cannot be read now.
 */
export async function withPayloads(env: Env, rows: PendingRow[]): Promise<{ ready: PendingRow[]; gone: PendingRow[] }> {
  const missing = rows.filter((r) => r.payload === PAYLOAD_BY_ID);
  if (!missing.length) return { ready: rows, gone: [] };
  const loaded = new Map<string, string>();
  const byTenant = new Map<string, string[]>();
  for (const r of missing) byTenant.set(r.tenant_id, [...new Set([...(byTenant.get(r.tenant_id) ?? []), r.event_id])]);
  // Each event from the log segment its id names.
  await Promise.all(
    [...byTenant].flatMap(([tenantId, all]) =>
      [...bySegment(all, (id) => id)].map(async ([, ids]) => {
        const log = logForId(env, tenantId, ids[0]!);
        for (let rest = ids; rest.length; ) {
          const page = await log.payloads(rest);
          for (const [id, payload] of Object.entries(page.payloads)) loaded.set(`${tenantId}/${id}`, payload);
          rest = rest.slice(Math.max(1, page.covered));
        }
      }),
    ),
  );
  const ready: PendingRow[] = [];
  const gone: PendingRow[] = [];
  for (const r of rows) {
    if (r.payload !== PAYLOAD_BY_ID) ready.push(r);
    else {
      const payload = loaded.get(`${r.tenant_id}/${r.event_id}`);
      if (payload === undefined) gone.push(r);
      else ready.push({ ...r, payload });
    }
  }
  return { ready, gone };
}
