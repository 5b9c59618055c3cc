import { iso, isoOrNull } from "../../lib/time";
import type { EventRow } from "../../tenant-log/types";

export type { EventRow };

export function eventView(row: EventRow, opts: { withData: boolean }) {
  return {
    id: row.id,
    tenant_id: row.tenantId,
    type: row.type,
    ...(opts.withData ? { data: JSON.parse(row.payload) as unknown } : {}),
    channels: row.channels ?? [],
    ordering_key: row.orderingKey,
    deliver_at: isoOrNull(row.deliverAt),
    expires_at: isoOrNull(row.expiresAt),
    created_at: iso(row.createdAt),
  };
}
