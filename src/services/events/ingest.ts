/**
 * Ingest: the event is written durably to D1 before it is answered (read-after-write), then a
 * fan-out message is queued. Idempotency (Idempotency-Key header or body `id`, 24 h) is settled
 * inside the same D1 batch as the insert, so concurrent repeats can never create two events.
 */
import { newId } from "../../db/ids";
import type { EventRow } from "./view";
import { fanoutMessage } from "../../queue/messages";
import type { ServiceCtx } from "../context";
import { notFound } from "../../errors";

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface IngestInput {
  type: string;
  data: unknown;
  id?: string;
  channels?: string[];
  ordering_key?: string;
  deliver_at?: number;
  expires_at?: number;
}

export interface Ingested {
  event: EventRow;
  /** False when an idempotent repeat answered an existing event. */
  created: boolean;
}

function idempotencyKeyOf(input: IngestInput, header: string | undefined): string | null {
  if (header) return `h:${header}`;
  if (input.id) return `id:${input.id}`;
  return null;
}

/** The D1 statements that insert one event (guarded by tenant existence and idempotency) and read it back. */
function ingestStatements(d1: D1Database, tenantId: string, input: IngestInput, key: string | null, now: number) {
  const id = newId("evt", now);
  const payload = JSON.stringify(input.data);
  const channels = input.channels?.length ? JSON.stringify(input.channels) : null;
  const tenantExists = "EXISTS (SELECT 1 FROM tenants WHERE id = ?)";
  const insertEvent = (guard: string, ...guardArgs: unknown[]) =>
    d1
      .prepare(
        `INSERT INTO events (id, tenant_id, type, payload, channels, ordering_key, deliver_at, expires_at, idempotency_key, created_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${tenantExists} ${guard}`,
      )
      .bind(id, tenantId, input.type, payload, channels, input.ordering_key ?? null, input.deliver_at ?? null, input.expires_at ?? null, key, now, tenantId, ...guardArgs);
  if (key === null) {
    return { id, statements: [insertEvent(""), d1.prepare("SELECT * FROM events WHERE id = ?").bind(id)] };
  }
  return {
    id,
    statements: [
      d1.prepare("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND expires_at <= ?").bind(tenantId, key, now),
      d1
        .prepare(`INSERT OR IGNORE INTO idempotency_keys (tenant_id, key, event_id, expires_at) SELECT ?, ?, ?, ? WHERE ${tenantExists}`)
        .bind(tenantId, key, id, now + IDEMPOTENCY_TTL_MS, tenantId),
      insertEvent("AND (SELECT event_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?) = ?", tenantId, key, id),
      d1
        .prepare("SELECT * FROM events WHERE tenant_id = ? AND id = (SELECT event_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?)")
        .bind(tenantId, tenantId, key),
    ],
  };
}

interface RawEvent {
  id: string;
  tenant_id: string;
  type: string;
  payload: string;
  channels: string | null;
  ordering_key: string | null;
  deliver_at: number | null;
  expires_at: number | null;
  idempotency_key: string | null;
  created_at: number;
  fanned_out_at: number | null;
}

function fromRaw(r: RawEvent): EventRow {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    payload: r.payload,
    channels: r.channels ? (JSON.parse(r.channels) as string[]) : null,
    orderingKey: r.ordering_key,
    deliverAt: r.deliver_at,
    expiresAt: r.expires_at,
    idempotencyKey: r.idempotency_key,
    createdAt: r.created_at,
    fannedOutAt: r.fanned_out_at,
  };
}

/**
 * Ingests several events in one D1 batch and one queue send. Answers, in order, the stored event
 * for each input. Throws not_found when the tenant does not exist.
 */
export async function ingestEvents(ctx: ServiceCtx, tenantId: string, inputs: { input: IngestInput; idempotencyHeader?: string }[]): Promise<Ingested[]> {
  const now = Date.now();
  const plans = inputs.map(({ input, idempotencyHeader }) => ingestStatements(ctx.env.DB, tenantId, input, idempotencyKeyOf(input, idempotencyHeader), now));
  const results = await ctx.env.DB.batch(plans.flatMap((p) => p.statements));
  let offset = 0;
  const out: Ingested[] = [];
  for (const plan of plans) {
    offset += plan.statements.length;
    const raw = results[offset - 1]?.results?.[0] as RawEvent | undefined;
    if (!raw) throw notFound("tenant");
    out.push({ event: fromRaw(raw), created: raw.id === plan.id });
  }
  // A repeat whose first fan-out never got queued (the isolate died in between) is queued again;
  // the fan-out is idempotent, so a repeat of a queued event adds nothing.
  const toQueue = out.filter((o) => o.created || o.event.fannedOutAt === null);
  if (toQueue.length) {
    await ctx.env.EVENTS_QUEUE.sendBatch(toQueue.map((o) => ({ body: fanoutMessage(tenantId, o.event.id), contentType: "json" as const })));
  }
  return out;
}
