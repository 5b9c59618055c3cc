/**
 * The one writer of an endpoint's status in D1: the verbs (src/services/endpoints.ts) and the
 * dispatcher's signals (src/dispatcher/signals.ts) both write through here. One version rule for
 * every write of an endpoint row: `version + 1` in SQL, so a concurrent change (a rotation, an
 * update) bumps it too and no two snapshots ever share a version.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { endpoints } from "../db/schema";
import type { DisabledReason, EndpointStatus } from "../domain/endpoints";
import type { EndpointRow } from "./endpoint-snapshot";

/** The version every write of an endpoint row sets: one more than the row has, decided by SQL. */
export const nextVersion = (): SQL => sql`${endpoints.version} + 1`;

/**
 * The columns a status change sets: a disable records its reason and time; an enable clears the
 * reason and records its own time, keeping `disabledAt`, so the two bound what the endpoint missed
 * while disabled (src/services/endpoint-missed.ts).
 */
export function statusColumns(
  status: EndpointStatus,
  reason: DisabledReason,
  now: number,
): Pick<EndpointRow, "status" | "disabledReason"> & Partial<Pick<EndpointRow, "disabledAt" | "enabledAt">> {
  return status === "disabled"
    ? { status, disabledReason: reason, disabledAt: now }
    : { status, disabledReason: null, enabledAt: now };
}

/** What the row must still be for the write to apply (a compare-and-set); the id always. */
interface StatusGuard {
  tenantId?: string;
  status?: EndpointStatus;
  version?: number;
}

/** Writes the status; answers the new row, or undefined when no row matched the id and the guard. */
export async function writeEndpointStatus(
  db: Db,
  endpointId: string,
  change: { status: EndpointStatus; reason: DisabledReason; at: number },
  guard: StatusGuard = {},
): Promise<EndpointRow | undefined> {
  const conds = [eq(endpoints.id, endpointId)];
  if (guard.tenantId !== undefined) conds.push(eq(endpoints.tenantId, guard.tenantId));
  if (guard.status !== undefined) conds.push(eq(endpoints.status, guard.status));
  if (guard.version !== undefined) conds.push(eq(endpoints.version, guard.version));
  return db
    .update(endpoints)
    .set({ ...statusColumns(change.status, change.reason, change.at), updatedAt: change.at, version: nextVersion() })
    .where(and(...conds))
    .returning()
    .get();
}
