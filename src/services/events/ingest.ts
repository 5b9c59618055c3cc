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

const TENANT_EXISTS = "EXISTS (SELECT 1 FROM tenants WHERE id = ?)";
const EVENT_COLUMNS = "id, tenant_id, type, payload, channels, ordering_key, deliver_at, expires_at, idempotency_key, created_at";
/** Rows per multi-row INSERT: 10 columns each, under D1's 100 bound parameters with the guard. */
const ROWS_PER_INSERT = 9;

function eventRow(tenantId: string, input: IngestInput, key: string | null, now: number): EventRow {
  return {
    id: newId("evt", now),
    tenantId,
    type: input.type,
    payload: JSON.stringify(input.data),
    channels: input.channels?.length ? input.channels : null,
    orderingKey: input.ordering_key ?? null,
    deliverAt: input.deliver_at ?? null,
    expiresAt: input.expires_at ?? null,
    idempotencyKey: key,
    createdAt: now,
    fannedOutAt: null,
  };
}

const values = (r: EventRow) => [r.id, r.tenantId, r.type, r.payload, r.channels ? JSON.stringify(r.channels) : null, r.orderingKey, r.deliverAt, r.expiresAt, r.idempotencyKey, r.createdAt];

/**
 * Events without an idempotency key: multi-row INSERTs guarded by the tenant's existence. What
 * was written is exactly `rows`, so nothing is read back (one statement per 9 events, not two per event).
 */
function plainStatements(d1: D1Database, tenantId: string, rows: EventRow[]) {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    const tuples = chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    statements.push(
      d1.prepare(`INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM (VALUES ${tuples}) WHERE ${TENANT_EXISTS}`).bind(...chunk.flatMap(values), tenantId),
    );
  }
  return statements;
}

/** An event with an idempotency key: the key is claimed and the event inserted only if it won, then read back. */
function idempotentStatements(d1: D1Database, row: EventRow, key: string, now: number) {
  const { tenantId } = row;
  return [
    d1.prepare("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND expires_at <= ?").bind(tenantId, key, now),
    d1
      .prepare(`INSERT OR IGNORE INTO idempotency_keys (tenant_id, key, event_id, expires_at) SELECT ?, ?, ?, ? WHERE ${TENANT_EXISTS}`)
      .bind(tenantId, key, row.id, now + IDEMPOTENCY_TTL_MS, tenantId),
    d1
      .prepare(
        `INSERT INTO events (${EVENT_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${TENANT_EXISTS} AND (SELECT event_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?) = ?`,
      )
      .bind(...values(row), tenantId, tenantId, key, row.id),
    d1
      .prepare("SELECT * FROM events WHERE tenant_id = ? AND id = (SELECT event_id FROM idempotency_keys WHERE tenant_id = ? AND key = ?)")
      .bind(tenantId, tenantId, key),
  ];
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
 * Ingests several events in one D1 batch and one queue message. Answers, in order, the stored
 * event for each input. Throws not_found when the tenant does not exist.
 */
export async function ingestEvents(ctx: ServiceCtx, tenantId: string, inputs: { input: IngestInput; idempotencyHeader?: string }[]): Promise<Ingested[]> {
  const now = Date.now();
  const d1 = ctx.env.DB;
  const rows = inputs.map(({ input, idempotencyHeader }) => eventRow(tenantId, input, idempotencyKeyOf(input, idempotencyHeader), now));
  const plain = rows.filter((r) => r.idempotencyKey === null);
  const keyed = rows.filter((r) => r.idempotencyKey !== null);
  // First statement: does the tenant exist (the batch is one transaction, so the guards agree)?
  const statements = [
    d1.prepare("SELECT 1 AS ok FROM tenants WHERE id = ?").bind(tenantId),
    ...plainStatements(d1, tenantId, plain),
    ...keyed.flatMap((r) => idempotentStatements(d1, r, r.idempotencyKey!, now)),
  ];
  const results = await d1.batch(statements);
  if (!results[0]?.results?.length) throw notFound("tenant");

  const stored = new Map<EventRow, Ingested>();
  let offset = 1 + Math.ceil(plain.length / ROWS_PER_INSERT);
  for (const r of plain) stored.set(r, { event: r, created: true });
  for (const r of keyed) {
    offset += 4;
    const raw = results[offset - 1]?.results?.[0] as RawEvent | undefined;
    if (!raw) throw notFound("tenant");
    stored.set(r, { event: fromRaw(raw), created: raw.id === r.id });
  }
  const out = rows.map((r) => stored.get(r)!);
  // A repeat whose first fan-out never got queued (the isolate died in between) is queued again;
  // the fan-out is idempotent, so a repeat of a queued event adds nothing.
  const toQueue = out.filter((o) => o.created || o.event.fannedOutAt === null).map((o) => o.event.id);
  if (toQueue.length) await ctx.env.EVENTS_QUEUE.send(fanoutMessage(tenantId, toQueue), { contentType: "json" });
  return out;
}
